"""The container image and the manifests, built and run for real."""
