"""Connected shops: producers' shops on marketplaces whose open platforms answer for them."""
