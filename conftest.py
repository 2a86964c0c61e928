pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs the plugin in inner pytest sessions
