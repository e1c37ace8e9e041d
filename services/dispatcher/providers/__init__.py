"""Delivery providers, one per vendor, behind the Provider seam in base.py."""
