"""overpush-desktop: a Linux desktop receiver for any Overpush (Open Client API) server."""
