"""Outlet Hub central: the HQ server hubs enroll with, sync orders to and pull the menu from."""

__version__ = "0.1.0"
