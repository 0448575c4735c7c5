import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import engine, exchange
from assessments.errors import PriamError
from assessments.selectors.frameworks import engine_framework, framework_version_get, framework_versions

INVALID = 2


class Command(BaseCommand):
    help = (
        "Evaluate a project assessment document (JSON, spec section 8) and print the result as JSON. "
        "Exits 2 with one line per problem on stderr when the document is invalid (and, when no "
        "--framework was given and several versions are loaded, a last line naming the version used)."
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
        # The shape first, as the API checks it (GET /api/v1/schemas/assessment-document.json).
        shape = exchange.document_errors(document)
        if shape:
            self._invalid([f"{e['field'] or 'the document'}: {e['message']}" for e in shape])
        problems = engine.validate_document(loaded, document)
        if problems:
            lines = [str(problem) for problem in problems]
            if framework is None and framework_versions().filter(framework_id=version.framework_id).count() > 1:
                # The default is the latest version: a document written for an older one fails
                # on its new questions, so say which version judged it.
                lines.append(f"(under {version.spec}; choose another loaded version with --framework ID@VERSION)")
            self._invalid(lines)
        result = engine.evaluate(loaded, document)
        self.stdout.write(engine.canonical_json(result))

    def _invalid(self, lines):
        for line in lines:
            self.stderr.write(line)
        sys.exit(INVALID)
