import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import engine
from assessments.errors import PriamError
from assessments.selectors.frameworks import engine_framework, framework_version_get

INVALID = 2


class Command(BaseCommand):
    help = (
        "Evaluate a project assessment document (JSON, spec section 8) and print the result as JSON. "
        "Exits 2 with one line per problem on stderr when the document is invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON file, or - for standard input")
        parser.add_argument("--framework", metavar="ID@VERSION", help="e.g. five-safes@1 (default: the latest loaded)")

    def handle(self, *args, file, framework=None, **options):
        try:
            version = framework_version_get(framework)
        except PriamError as error:
            raise CommandError(str(error)) from None
        loaded = engine_framework(version)
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self._invalid([f"{file}: cannot read: {error}"])
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            self._invalid([f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}"])
        problems = engine.validate_document(loaded, document)
        if problems:
            hint = f"(under {version.spec}; choose another loaded version with --framework ID@VERSION)"
            self._invalid([*(str(problem) for problem in problems), hint])
        result = engine.evaluate(loaded, document)
        self.stdout.write(engine.canonical_json(result))

    def _invalid(self, lines):
        for line in lines:
            self.stderr.write(line)
        sys.exit(INVALID)
