#!/usr/bin/env python3
"""Checks the daemon's API against its OpenAPI document, as a client that is not ours would.

  openapi_check.py SPEC EXCHANGES

SPEC is docs/openapi.yaml; EXCHANGES a JSON file of what curl sent and got:
[{"method": "GET", "path": "/v1/chains/x?after=0", "status": 200, "contentType": "...",
  "body": "..."}]. The document must be valid OpenAPI 3.0 (openapi-spec-validator); every
exchange must hit a documented path and method, answer a documented status, and carry a
body that validates against that response's schema; and every documented operation must be
exercised at least once. Prints "ok N" or what is wrong, and exits 1 on any problem.
"""
import json
import re
import sys

import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec


def template_matches(template, path):
    pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
    return re.match(pattern, path) is not None


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    validate_spec(spec)
    exchanges = json.load(open(sys.argv[2]))
    problems = []
    exercised = set()
    for exchange in exchanges:
        method = exchange["method"].lower()
        path = exchange["path"].split("?")[0]
        templates = [t for t in spec["paths"] if template_matches(t, path)]
        # The most specific template: the one with the fewest parameters.
        templates.sort(key=lambda t: t.count("{"))
        if not templates or method not in spec["paths"][templates[0]]:
            problems.append(f"{method.upper()} {path}: not in the document")
            continue
        template = templates[0]
        exercised.add((template, method))
        responses = spec["paths"][template][method]["responses"]
        status = str(exchange["status"])
        if status not in responses:
            problems.append(f"{method.upper()} {path}: status {status} is not documented ({sorted(responses)})")
            continue
        response = responses[status]
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
        content = response.get("content", {})
        media = exchange.get("contentType", "").split(";")[0].strip()
        if media not in content:
            problems.append(f"{method.upper()} {path}: content type {media!r} is not documented ({sorted(content)})")
            continue
        schema = content[media]["schema"]
        body = exchange["body"]
        instance = json.loads(body) if media == "application/json" else body
        validator = OAS30Validator(dict(schema, components=spec["components"]))
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        for error in errors[:3]:
            where = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{method.upper()} {path} {status}: {where}: {error.message}")
    for template, item in spec["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "delete", "patch") and (template, method) not in exercised:
                problems.append(f"{method.upper()} {template}: documented but not exercised")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok", len(exchanges))


if __name__ == "__main__":
    main()
