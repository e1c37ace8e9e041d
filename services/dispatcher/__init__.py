"""The dispatcher: fans accepted messages out to devices and hands them to providers."""
