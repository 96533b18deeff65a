#!/usr/bin/env python3
"""Drives examples/chat_server's page in headless Chromium over the DevTools
protocol, as a user would: waits for the model picker, asks emulator/echo a
question and waits for the streamed answer in the page, asks an image model
and waits for its picture to be decoded, asks a reasoning model and waits for
its reasoning block, asks a model that does not exist and waits for the
gateway's message and request id, and saves a screenshot.

    drive_chat_page.py DEVTOOLS_WS_URL PAGE_URL SCREENSHOT.png API_KEY

API_KEY is the server's key: the page must not hold it."""
import base64
import json
import sys
import time

import websocket


class DevTools:
    """One DevTools connection; `call` sends a command and returns its result
    (events that arrive meanwhile are not needed here)."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.last_id = 0

    def call(self, method, session=None, **params):
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})


def main(devtools_url, page_url, screenshot_path, api_key):
    browser = DevTools(devtools_url)
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    browser.call("Emulation.setDeviceMetricsOverride", session, width=1000, height=900, deviceScaleFactor=1,
                 mobile=False)
    browser.call("Page.navigate", session, url=page_url)

    def evaluate(expression):
        result = browser.call("Runtime.evaluate", session, expression=expression, returnByValue=True,
                              awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(expression, what, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise RuntimeError(f"no {what} after {seconds} s; the page says: {evaluate('document.body.innerText')!r}")

    def ask(model, text):
        evaluate(f"""(() => {{
            const picker = document.getElementById('model');
            if (![...picker.options].some(o => o.value === {json.dumps(model)}))
                picker.add(new Option({json.dumps(model)}, {json.dumps(model)}));
            picker.value = {json.dumps(model)};
            document.getElementById('prompt').value = {json.dumps(text)};
            document.getElementById('send').click();
            return true;
        }})()""")

    last_turn = "[...document.querySelectorAll('.turn.assistant')].pop()"
    wait_for("[...document.querySelectorAll('#model option')].some(o => o.value === 'emulator/echo')", "model list")

    question = "Hello from a headless browser, token by token"
    ask("emulator/echo", question)
    answer = wait_for(f"(() => {{ const t = {last_turn}; return t && t.dataset.done === 'true' && "
                      "t.querySelector('.answer').textContent; })()", "streamed answer")
    if answer != question:
        raise RuntimeError(f"the page shows {answer!r}, not {question!r}")
    deltas = evaluate(f"Number({last_turn}.dataset.deltas)")
    if deltas < 2:
        raise RuntimeError(f"the answer came in {deltas} piece(s), not streamed")

    ask("emulator/image", "a small picture")
    size = wait_for(f"(() => {{ const t = {last_turn}; const img = t && t.querySelector('img'); "
                    "return t.dataset.done === 'true' && img && img.complete && img.naturalWidth > 0 && "
                    "[img.naturalWidth, img.naturalHeight]; })()", "decoded image")

    ask("emulator/reasoning", "think first")
    thoughts = wait_for(f"(() => {{ const t = {last_turn}; const r = t && t.querySelector('details.reasoning'); "
                        "return t.dataset.done === 'true' && r && !r.hidden && "
                        "t.querySelector('.answer').textContent && r.textContent; })()", "reasoning block")

    ask("no-such-model", "anyone there?")
    failure = wait_for(f"(() => {{ const t = {last_turn}; return t && t.classList.contains('error') && "
                       "t.querySelector('.request-id') && t.textContent; })()", "error with a request id")

    if evaluate(f"document.documentElement.outerHTML.includes({json.dumps(api_key)})"):
        raise RuntimeError("the page holds the API key")

    shot = browser.call("Page.captureScreenshot", session, format="png")["data"]
    with open(screenshot_path, "wb") as f:
        f.write(base64.b64decode(shot))
    print(f"answer streamed in {deltas} pieces; image {size[0]}x{size[1]} shown; reasoning {thoughts!r}; "
          f"error shown: {failure!r}; "
          f"screenshot {screenshot_path}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
