"""Questionnaire library and scoring engine: pure Python, no web framework."""

from __future__ import annotations

from .answers import AnswerError, AnswerProblem, answer_errors, validate_answers, visible_items
from .loader import Library, load_file, load_library
from .model import Instrument, Item
from .problems import DefinitionError, Problem
from .report import format_problems
from .scoring import Fired, Score, score

__all__ = [
    "AnswerError",
    "AnswerProblem",
    "DefinitionError",
    "Fired",
    "Instrument",
    "Item",
    "Library",
    "Problem",
    "Score",
    "answer_errors",
    "format_problems",
    "load_file",
    "load_library",
    "score",
    "validate_answers",
    "visible_items",
]
