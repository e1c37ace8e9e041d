"""The web interface: accounts, the dashboard, and the desktop client at /client."""
