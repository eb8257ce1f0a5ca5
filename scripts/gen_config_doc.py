#!/usr/bin/env python3
"""Rewrites the settings block of docs/configuration.md from `ctitap --help-settings`.

Usage: scripts/gen_config_doc.py BUILD/ctitap  (run after adding or changing a setting)
The host-dependent default of sensor.name is written as "vm" so the file does not change with
the machine it is generated on.
"""
import os
import re
import subprocess
import sys

ctitap = sys.argv[1]
# no settings file and no systemd state directory: the defaults of a build tree, whatever the machine
env = dict(os.environ, CTITAP_CONFIG="")
env.pop("STATE_DIRECTORY", None)
out = subprocess.run([ctitap, "--help-settings", "-X", "sensor.name=vm"], capture_output=True, text=True,
                     check=True, env=env).stdout
path = "docs/configuration.md"
doc = open(path, encoding="utf-8").read()
new, n = re.subn(r"```\nSettings \(key, current value, meaning\):\n.*?```", lambda m: "```\n" + out + "```", doc,
                 count=1, flags=re.S)
if n != 1:
    sys.exit("settings block not found in " + path)
open(path, "w", encoding="utf-8").write(new)
