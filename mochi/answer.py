"""The model answer contract (DESIGN.md), as pydantic models and the JSON schema sent to providers.

{"comments": [{"file", "line", "end_line", "type", "severity", "category", "message",
               "suggestion"}],
 "summary": {"overall_assessment", "key_concerns", "recommendations"}}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mochi.models import ComplianceStatus, FindingType, Severity


class AnswerComment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file: str
    line: int | None = None
    end_line: int | None = None
    type: FindingType = FindingType.SUGGESTION
    severity: Severity = Severity.LOW
    category: str | None = None
    message: str = Field(min_length=1)
    suggestion: str | None = None


class AnswerSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    overall_assessment: str = ""
    key_concerns: list[str] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)


class AnswerCompliance(BaseModel):
    """Whether the change meets one acceptance criterion of a ticket (only when tickets are given)."""

    model_config = ConfigDict(extra="ignore")

    ticket: str
    criterion: str = Field(min_length=1)
    status: ComplianceStatus = ComplianceStatus.UNCLEAR
    reason: str = ""


class ModelAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    comments: list[AnswerComment] = Field(default_factory=list)
    summary: AnswerSummary = Field(default_factory=AnswerSummary)
    # Optional and additive: asked for only when the prompt has tickets with acceptance criteria.
    ticket_compliance: list[AnswerCompliance] = Field(default_factory=list)


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def answer_json_schema(*, with_tickets: bool = False) -> dict[str, Any]:
    """The schema for structured output.

    Written by hand rather than from `ModelAnswer.model_json_schema()`: OpenAI's strict mode
    wants every property required, nullable types for optional ones, and no `additionalProperties`,
    and Ollama's grammar follows the same shape best. `with_tickets` adds the (then required)
    top-level `ticket_compliance` list; without it the schema is exactly the DESIGN.md contract.
    """
    comment = {
        "type": "object",
        "properties": {
            "file": {"type": "string"},
            "line": {"type": "integer"},
            "end_line": _nullable("integer"),
            "type": {"type": "string", "enum": [t.value for t in FindingType]},
            "severity": {"type": "string", "enum": [s.value for s in Severity]},
            "category": _nullable("string"),
            "message": {"type": "string"},
            "suggestion": _nullable("string"),
        },
        "required": ["file", "line", "end_line", "type", "severity", "category", "message", "suggestion"],
        "additionalProperties": False,
    }
    summary = {
        "type": "object",
        "properties": {
            "overall_assessment": {"type": "string"},
            "key_concerns": {"type": "array", "items": {"type": "string"}},
            "recommendations": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["overall_assessment", "key_concerns", "recommendations"],
        "additionalProperties": False,
    }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"comments": {"type": "array", "items": comment}, "summary": summary},
        "required": ["comments", "summary"],
        "additionalProperties": False,
    }
    if with_tickets:
        verdict = {
            "type": "object",
            "properties": {
                "ticket": {"type": "string"},
                "criterion": {"type": "string"},
                "status": {"type": "string", "enum": [s.value for s in ComplianceStatus]},
                "reason": {"type": "string"},
            },
            "required": ["ticket", "criterion", "status", "reason"],
            "additionalProperties": False,
        }
        schema["properties"]["ticket_compliance"] = {"type": "array", "items": verdict}
        schema["required"].append("ticket_compliance")
    return schema
