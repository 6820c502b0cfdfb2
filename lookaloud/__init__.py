"""Lookaloud: describes screenshots and images out loud for blind and low-vision people."""

__version__ = "0.1.0"
