"""The Teams edge. Every botbuilder import lives in this package."""
