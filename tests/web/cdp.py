"""A small client of the Chrome DevTools Protocol for Debian's headless Chromium.

Why the protocol and not --dump-dom: the tests must know that no script ran (a JavaScript
dialog would be reported as Page.javascriptDialogOpening), see what the Content-Security-Policy
refused (Log.entryAdded, source "security"/"violation"), evaluate DOM queries after the page's
own script ran, and take full-page screenshots. The transport is python3-websocket
(websocket-client, Debian 12), over the loopback port Chromium writes to DevToolsActivePort.

    with Browser() as b:
        page = b.open("http://127.0.0.1:8000/index.html")
        n = page.eval("document.querySelectorAll('g.msg').length")
        page.screenshot("out.png")
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

try:
    import websocket  # python3-websocket
except ImportError:  # the caller skips
    websocket = None

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-port=0", "--window-size=1100,900"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Page:
    def __init__(self, browser, session):
        self.b, self.s = browser, session
        self.dialogs, self.logs, self.exceptions = [], [], []

    def cmd(self, method, **params):
        return self.b.cmd(method, params, self.s)

    def event(self, ev):
        m, p = ev.get("method"), ev.get("params", {})
        if m == "Page.javascriptDialogOpening":
            self.dialogs.append(p.get("message"))
            self.b.send("Page.handleJavaScriptDialog", {"accept": True}, self.s)
        elif m == "Log.entryAdded":
            self.logs.append(p.get("entry", {}))
        elif m == "Runtime.consoleAPICalled":
            self.logs.append({"source": "console", "level": p.get("type"),
                              "text": " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))})
        elif m == "Runtime.exceptionThrown":
            self.exceptions.append(p.get("exceptionDetails", {}).get("text"))

    def navigate(self, url, timeout=30):
        self.b.loaded.discard(self.s)
        r = self.cmd("Page.navigate", url=url)
        if r.get("errorText"):
            raise RuntimeError("cannot load %s: %s" % (url, r["errorText"]))
        end = time.time() + timeout
        while self.s not in self.b.loaded:
            if time.time() > end:
                raise RuntimeError("%s did not load in %d s" % (url, timeout))
            self.b.pump(end - time.time())
        self.eval("1")  # the load's events are in

    def eval(self, expr):
        r = self.cmd("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def screenshot(self, path, until=None):
        """The whole page (at most 16000 px high), or from its top to the bottom of the element
        `until` (a CSS selector)."""
        m = self.cmd("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m["contentSize"]
        w, h = int(size["width"]), min(int(size["height"]), 16000)
        if until:
            h = min(h, int(self.eval("document.querySelector(%s).getBoundingClientRect().bottom + scrollY + 8"
                                     % json.dumps(until))))
        r = self.cmd("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                     clip={"x": 0, "y": 0, "width": w, "height": h, "scale": 1})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path


class Browser:
    def __init__(self, exe=None):
        self.exe = exe or find_chromium()
        self.next_id = 0
        self.pending = {}
        self.pages = {}
        self.loaded = set()

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="ctitap-chromium-")
        self.log = open(os.path.join(self.profile, "stderr.log"), "wb")
        self.proc = subprocess.Popen([self.exe] + FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        end = time.time() + 60
        while not (os.path.exists(port_file) and len(open(port_file).read().split("\n")) >= 2):
            if self.proc.poll() is not None or time.time() > end:
                raise RuntimeError("chromium did not start (see %s)" % self.log.name)
            time.sleep(0.1)
        port, path = open(port_file).read().split("\n")[:2]
        self.ws = websocket.create_connection("ws://127.0.0.1:%s%s" % (port, path), suppress_origin=True,
                                              timeout=60)
        return self

    def __exit__(self, *exc):
        try:
            self.send("Browser.close", {})
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.ws.close()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method, params, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        return self.next_id

    def pump(self, timeout):
        self.ws.settimeout(max(timeout, 0.1))
        msg = json.loads(self.ws.recv())
        if "id" in msg:
            self.pending[msg["id"]] = msg
            return
        s = msg.get("sessionId")
        if msg.get("method") == "Page.loadEventFired":
            self.loaded.add(s)
        if s in self.pages:
            self.pages[s].event(msg)

    def cmd(self, method, params, session=None, timeout=60):
        i = self.send(method, params, session)
        end = time.time() + timeout
        while i not in self.pending:
            if time.time() > end:
                raise RuntimeError("%s: no answer in %d s" % (method, timeout))
            self.pump(end - time.time())
        r = self.pending.pop(i)
        if "error" in r:
            raise RuntimeError("%s: %s" % (method, r["error"]))
        return r.get("result", {})

    def open(self, url, bypass_csp=False, no_js=False):
        """A new tab on url. bypass_csp: the page's Content-Security-Policy is not enforced, so
        only the page's own escaping stands between its text and the browser. no_js: the page's
        scripts do not run (the test's own evaluations still do)."""
        target = self.cmd("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = self.cmd("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, s)
        self.pages[s] = page
        for m in ("Page.enable", "Runtime.enable", "Log.enable"):
            page.cmd(m)
        if bypass_csp:
            page.cmd("Page.setBypassCSP", enabled=True)
        if no_js:
            page.cmd("Emulation.setScriptExecutionDisabled", value=True)
        page.navigate(url)
        return page
