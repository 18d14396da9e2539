"""People's attestations: "I saw it on sale on DATE", with a screenshot, for listings no
machine can see."""
