"""Telling people when it matters.

A run's end (and `ocop notify send`, which cron runs daily) records **events** once each
(`events`: the `Event` table, keyed so a rerun adds nothing); the **queue** turns the events due
into messages for the people who chose to hear them (`preferences`: which kinds, how often;
`audience`: who may hear what; `compose`: the words, in each person's language), each written
once to the **outbox** (`Delivery`, keyed per event or digest, recipient and channel); the
**outbox** sends what is due over its **channel** (`channels.email`, `channels.webhook`: one
module each), retrying with backoff, and never twice in normal operation. Every message says why
it was sent and carries a signed unsubscribe link (`tokens`).
"""
