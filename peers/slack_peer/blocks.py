"""Block Kit limits Slack enforces on what an app sends (messages, response_url answers, unfurls, Home tabs),
checked the way Slack reports them: ``invalid_blocks`` with messages naming a JSON pointer."""
from __future__ import annotations

from typing import Any

TEXT_TYPES = {"plain_text", "mrkdwn"}
BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text", "markdown", "input"}
MAX_BLOCKS = {"message": 50, "home": 100, "modal": 100}


def _text(obj: Any, where: str, limit: int, errors: list[str], plain_only: bool = False) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in (({"plain_text"} if plain_only else TEXT_TYPES)):
        errors.append(f"[ERROR] must be a {'plain_text' if plain_only else 'text'} object [json-pointer:{where}]")
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(f"[ERROR] must be more than 0 characters [json-pointer:{where}/text]")
    elif len(text) > limit:
        errors.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}/text]")


def validate(blocks: Any, surface: str = "message") -> list[str]:
    """Slack's complaints about ``blocks`` (empty when it would accept them)."""
    errors: list[str] = []
    if not isinstance(blocks, list):
        return ["[ERROR] must be an array [json-pointer:/blocks]"]
    if len(blocks) > MAX_BLOCKS[surface]:
        errors.append(f"[ERROR] no more than {MAX_BLOCKS[surface]} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            errors.append(f"[ERROR] unsupported type: {kind} [json-pointer:{where}/type]")
            continue
        if kind == "header":
            _text(block.get("text"), f"{where}/text", 150, errors, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"[ERROR] must provide either 'text' or 'fields' [json-pointer:{where}]")
            if "text" in block:
                _text(block["text"], f"{where}/text", 3000, errors)
            fields = block.get("fields", [])
            if not isinstance(fields, list) or len(fields) > 10:
                errors.append(f"[ERROR] no more than 10 items allowed [json-pointer:{where}/fields]")
            else:
                for j, field in enumerate(fields):
                    _text(field, f"{where}/fields/{j}", 2000, errors)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements or len(elements) > 10:
                errors.append(f"[ERROR] must have 1 to 10 elements [json-pointer:{where}/elements]")
            else:
                for j, element in enumerate(elements):
                    if isinstance(element, dict) and element.get("type") == "image":
                        continue
                    _text(element, f"{where}/elements/{j}", 2000, errors)
    return errors
