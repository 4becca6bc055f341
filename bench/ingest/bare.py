"""The web ceiling: a bare Flask endpoint that reads the body and answers 200."""
from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/<kind>/<channel_id>")
def receive(kind: str, channel_id: str):
    request.get_data()
    return {"success": True}
