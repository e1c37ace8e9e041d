"""The API reference: an OpenAPI 3.1 document of everything under /1/, built from the routes
plus a hand-kept table (`operations`) of what the routes parse by hand."""
