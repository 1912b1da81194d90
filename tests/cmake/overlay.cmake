# Tile-state overlay (N) and network panel (P) tests (src/ui/layer_*.c): the
# meridian binary on a display of its own (tests/support/own_display.sh),
# against rate-limited meridian-tilesim servers the test starts itself.
mer_add_viewer_test(overlay)
