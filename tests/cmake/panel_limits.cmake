# The network panel's discovered cap and rate (issue 13): the meridian binary
# under Xvfb with --demo, whose server the panel's keys turn into a limiter.
mer_add_viewer_test(panel_limits)
