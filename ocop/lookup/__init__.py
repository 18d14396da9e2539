"""The public look-up: anyone finds a product's listings and what the last check saw."""
