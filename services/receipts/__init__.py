"""The receipts service: emergency re-alert timers, expiry, callbacks and retention."""
