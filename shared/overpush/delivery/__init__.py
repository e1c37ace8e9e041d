"""Delivery: accepted messages become rows in each device's queue (fan-out, licences, order),
and emergency messages are queued again; the dispatcher service pushes what was queued."""
