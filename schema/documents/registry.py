"""The GraphQL documents our clients send, known in advance (trusted documents).

Each operation of the ``.graphql`` files beside this module (the clients' contract files,
copied here so a deployment carries them) and of the staff console's operations module
(``console``) is one registered document: the operation and
the fragments it uses, printed by graphql-core. Its id is ``sha256:`` and the hex SHA-256
of that text. A client sends ``{"documentId": "sha256:…"}``, or the text itself in
``query`` (as printed, or written in any layout that parses to the same document).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

from schema.documents.console import bundled_console_operations

DOCUMENTS_FOLDER = Path(__file__).resolve().parent
ID_PREFIX = "sha256:"
# Texts seen in ``query`` that turned out to be registered: bounded, and holding only
# admitted texts, so a stream of made-up documents cannot grow it.
_ADMITTED_TEXTS_KEPT = 4096


def document_id(text: str) -> str:
    return ID_PREFIX + hashlib.sha256(text.encode()).hexdigest()


class RegisteredDocuments:
    """The registered documents by id, and the check of a document sent as text."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._by_id: dict[str, str] = {document_id(text): text for text in texts}
        self._admitted_texts: dict[str, None] = {}

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> RegisteredDocuments:
        return cls(text for path in paths for text in operation_texts(path.read_text()))

    def manifest(self) -> Mapping[str, str]:
        """Id to text, sorted by id: what ``billing export-operations`` prints."""
        return dict(sorted(self._by_id.items()))

    def text_of(self, registered_id: str) -> str | None:
        return self._by_id.get(registered_id)

    def admits(self, text: str) -> bool:
        """Whether ``text`` is a registered document: by its own hash first, then by the
        printed form of what it parses to (remembered once admitted)."""
        if text in self._admitted_texts or document_id(text) in self._by_id:
            return True
        try:
            printed = [print_ast(document) for document in _single_operations(parse(text))]
        except GraphQLError:
            return False
        if len(printed) != 1 or document_id(printed[0]) not in self._by_id:
            return False
        if len(self._admitted_texts) >= _ADMITTED_TEXTS_KEPT:
            self._admitted_texts.pop(next(iter(self._admitted_texts)))
        self._admitted_texts[text] = None
        return True


@functools.cache
def bundled_documents() -> RegisteredDocuments:
    """The documents of the ``.graphql`` files shipped in this package and the console's."""
    sources = [path.read_text() for path in sorted(DOCUMENTS_FOLDER.glob("*.graphql"))]
    sources += bundled_console_operations()
    return RegisteredDocuments(text for source in sources for text in operation_texts(source))


def operation_texts(source: str) -> list[str]:
    """Each operation of ``source`` alone with the fragments it uses, printed."""
    return [print_ast(document) for document in _single_operations(parse(source))]


def _single_operations(document: DocumentNode) -> Iterator[DocumentNode]:
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            used = _fragments_used(definition, fragments)
            yield DocumentNode(definitions=(definition, *(fragments[name] for name in used)))


def _fragments_used(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[str]:
    """The names of the fragments ``operation`` spreads, directly or through others, in
    the order first met."""
    found: list[str] = []
    pending: list[Node] = [operation]
    while pending:
        for name in _spread_names(pending.pop()):
            if name not in found and name in fragments:
                found.append(name)
                pending.append(fragments[name])
    return found


def _spread_names(node: Node) -> list[str]:
    names: list[str] = []

    class _Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.append(spread.name.value)

    visit(node, _Spreads())
    return names
