"""The desktop receiver's tests: its server additions, its decisions, and it end to end."""
