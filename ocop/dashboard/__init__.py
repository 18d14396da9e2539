"""The officers' dashboard: the share of OCOP products online, explained and broken down."""
