"""The funder's report as a PDF: a cover, the figures as tables, and charts drawn with
reportlab's graphics (each chart sits next to the table that says the same in words and
numbers: the table is its text alternative).

Only the totals of the scope reach this module, plus each city's one-line summary, which is
read back from a side file chunk by chunk while the pages are laid out: the PDF of 1,000
cities never holds the 1,000 lines at once. Held-back cells (report_figures' small-cell
rule) are printed as they are in the CSV ("<3" or "*"), and their bars are not drawn.
"""

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from stakeholders.models import Leg
from workinggroups.models import Milestone
from workinggroups.report_figures import (
    HELD,
    LEGS,
    LESS_THAN,
    SMALL_CELL,
    SUMMARY_CHUNK,
    TOTAL,
    Cell,
    Summary,
    figure_rows,
)

INK = colors.HexColor("#1d2a3a")
BAR = colors.HexColor("#2f5d8a")
WASH = colors.HexColor("#eef2f6")
LINE = colors.HexColor("#b9c3cf")


@dataclass(frozen=True)
class Cover:
    programme: str
    funder: str
    grant_reference: str
    start: date
    end: date
    scope: str
    zone: str  # the zone "generated at" is shown in


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], textColor=INK, alignment=0),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], textColor=INK, spaceBefore=14),
        "body": ParagraphStyle("body", parent=sheet["BodyText"], fontSize=10, leading=13),
        "small": ParagraphStyle("small", parent=sheet["BodyText"], fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", parent=sheet["BodyText"], fontSize=8.5, leading=10),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(
    rows: list[list], widths: list[float], *, header: bool = True, header_size: float = 8.5
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    commands = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands += [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", header_size),
            ("BACKGROUND", (0, 0), (-1, 0), WASH),
        ]
    table.setStyle(TableStyle(commands))
    return table


def _bars(
    title: str, categories: list[str], cells: list[Cell], *, horizontal: bool = False
) -> Drawing:
    """A bar chart; held-back cells get no bar, only their marker as the label."""
    values = [0 if cell.held else cell.value for cell in cells]
    height = max(140, 18 * len(categories) + 50) if horizontal else 170
    drawing = Drawing(6.5 * inch, height)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    left = 2.6 * inch if horizontal else 40
    chart.x, chart.y = left, 30
    chart.width = 6.5 * inch - left - 20
    chart.height = height - 55
    chart.data = [values]
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = [c[:48] for c in categories]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7.5
    if horizontal:
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.categoryAxis.reverseDirection = True
    else:
        chart.categoryAxis.labels.angle = 0 if len(categories) <= 6 else 30
        chart.categoryAxis.labels.boxAnchor = "n" if len(categories) <= 6 else "ne"
    top = max(max(values, default=0), 1)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = max(1, math.ceil(top / 5))
    chart.valueAxis.valueMax = chart.valueAxis.valueStep * (
        math.ceil(top * 1.15 / chart.valueAxis.valueStep)
    )
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7.5
    # The label of each bar is its cell as printed in the tables ("<3" for a held-back one).
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[cell.shown for cell in cells]]
    chart.barLabels.fontName = "Helvetica"
    chart.barLabels.fontSize = 7.5
    chart.barLabels.boxAnchor = "w" if horizontal else "s"
    chart.barLabels.dx = 3 if horizontal else 0
    chart.barLabels.dy = 0 if horizontal else 2
    drawing.add(chart)
    drawing.add(String(0, height - 12, title, fontName="Helvetica-Bold", fontSize=9, fillColor=INK))
    return drawing


class CityChunk(Flowable):
    """SUMMARY_CHUNK lines of the per-city table, read from the side file only when the page
    is laid out, and let go once drawn."""

    def __init__(self, path: Path, offset: int, count: int, header: list[str]) -> None:
        super().__init__()
        self.path, self.offset, self.count, self.header = path, offset, count, header
        self._made: Table | None = None

    def _table(self) -> Table:
        if self._made is None:
            with self.path.open(newline="", encoding="utf-8") as handle:
                handle.seek(self.offset)
                reader = csv.reader(handle)
                rows = [row for _n, row in zip(range(self.count), reader, strict=False)]
            widths = [2.1 * inch] + [0.7 * inch] * (len(self.header) - 1)
            self._made = _table([self.header, *rows], widths, header_size=7.5)
        return self._made

    def wrap(self, available_width, available_height):
        return self._table().wrap(available_width, available_height)

    def split(self, available_width, available_height):
        return []  # a chunk fits a page: move it to the next one rather than cut it

    def draw(self) -> None:
        self._table().drawOn(self.canv, 0, 0)
        self._made = None


def _leg_table(figures_rows: dict, figures: list[tuple[str, str]], styles) -> Table:
    """Rows: legs and all legs; columns: the given figures."""
    header = [_("Leg")] + [label for _key, label in figures]
    rows = [header]
    leg_labels = {leg.value: str(leg.label) for leg in Leg}
    for leg in [*LEGS, TOTAL]:
        name = leg_labels.get(leg, _("All legs"))
        rows.append([name] + [figures_rows[(key, leg)].shown for key, _label in figures])
    return _table(rows, [2.3 * inch] + [1.3 * inch] * len(figures))


def _day(value: date) -> str:
    return formats.date_format(value, "j F Y")


def write_pdf(path: Path, cover: Cover, summary: Summary, summary_path: Path) -> None:
    """Lay out the report; `summary_path` is the side file write_report filled."""
    styles = _styles()
    rows = {
        (figure, category): (label, cell)
        for figure, category, label, cell in figure_rows(summary.total, summary.labels)
    }
    cells = {key: cell for key, (_label, cell) in rows.items()}
    story: list = []
    story += _cover(cover, summary, styles)
    story += _convenings(rows, cells, styles)
    story += _participants(rows, cells, styles)
    story += _training(rows, cells, styles)
    story += _briefings(rows, cells, styles)
    story += _milestones(rows, cells, styles, cities=summary.cities)
    story += _cities(summary, summary_path, styles)

    generated = timezone.now().astimezone(ZoneInfo(cover.zone))

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(INK)
        text = _("Aggregate counts only: no personal data. Page %(page)s") % {"page": doc.page}
        canvas.drawString(doc.leftMargin, 0.5 * inch, text)
        canvas.drawRightString(
            doc.leftMargin + doc.width, 0.5 * inch, f"{generated:%Y-%m-%d %H:%M %Z}"
        )
        canvas.restoreState()

    document = SimpleDocTemplate(
        str(path),
        pagesize=LETTER,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.85 * inch,
        title=_("Progress report: %(scope)s, %(start)s to %(end)s")
        % {"scope": cover.scope, "start": cover.start.isoformat(), "end": cover.end.isoformat()},
        author=_("Prevention portal"),
        subject=cover.programme,
        lang="en",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)


def _cover(cover: Cover, summary: Summary, styles) -> list:
    generated = timezone.now().astimezone(ZoneInfo(cover.zone))
    facts = [
        [_("Programme"), cover.programme],
        [_("Funder"), cover.funder or "—"],
        [_("Grant reference"), cover.grant_reference or "—"],
        [
            _("Period"),
            _("%(start)s to %(end)s") % {"start": _day(cover.start), "end": _day(cover.end)},
        ],
        [_("Scope"), cover.scope],
        [_("Cities in the scope"), str(summary.cities)],
        [_("Generated at"), f"{generated:%Y-%m-%d %H:%M %Z}"],
    ]
    facts_table = Table(
        [[_p(k, styles["body"]), _p(v, styles["body"])] for k, v in facts],
        colWidths=[1.8 * inch, 4.7 * inch],
        hAlign="LEFT",
    )
    facts_table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE)]))
    rule = _(
        "Aggregate counts only: this report holds no name, contact or organisation of any "
        "person who took part. A count of 1 or 2 people in a leg or a sector is held back "
        "(shown as %(less)s), and with it one more cell of the same breakdown (%(less)s when "
        "it is below %(n)s, else %(held)s), so that it cannot be worked out from the total. "
        "Means of fewer than %(n)s self-assessment answers are held back too. Counts of "
        "convenings, sessions, modules, briefings and milestones are shown in full."
    ) % {"less": LESS_THAN, "held": HELD, "n": SMALL_CELL}
    return [
        Paragraph(escape(_("Progress report for the funder")), styles["title"]),
        _p(_("City-led prevention of hate and extremism: outputs and outcomes"), styles["body"]),
        Spacer(1, 12),
        facts_table,
        Spacer(1, 12),
        _p(rule, styles["small"]),
        _p(
            _(
                "Times are each city's local time. Every chart is followed or preceded by a "
                "table with the same figures."
            ),
            styles["small"],
        ),
        PageBreak(),
    ]


def _convenings(rows, cells, styles) -> list:
    months = sorted(c for f, c in rows if f == "convenings_held_by_month")
    story = [
        Paragraph(escape(_("Convenings held")), styles["h2"]),
        _p(
            _("Convenings held in the period: %(n)s.")
            % {"n": cells[("convenings_held", TOTAL)].shown},
            styles["body"],
        ),
    ]
    if months:
        month_cells = [cells[("convenings_held_by_month", m)] for m in months]
        table = _table(
            [[_("Month"), _("Convenings held")]]
            + [[m, c.shown] for m, c in zip(months, month_cells, strict=True)],
            [2.3 * inch, 1.3 * inch],
        )
        story += [KeepTogether([_bars(_("Convenings held, by month"), months, month_cells), table])]
    return story


def _participants(rows, cells, styles) -> list:
    leg_names = [str(leg.label) for leg in Leg]
    story = [
        Paragraph(escape(_("Participants")), styles["h2"]),
        _p(
            _(
                "Participants are the distinct people who attended a held convening in the "
                "period; attendances count each person at each convening."
            ),
            styles["body"],
        ),
        KeepTogether(
            [
                _bars(
                    _("Participants (distinct people), by leg"),
                    leg_names,
                    [cells[("participants", leg)] for leg in LEGS],
                    horizontal=True,
                ),
                _leg_table(
                    cells,
                    [("participants", _("Participants")), ("attendances", _("Attendances"))],
                    styles,
                ),
            ]
        ),
    ]
    sectors = [
        (c, label) for (f, c), (label, _cell) in rows.items() if f == "participants_by_sector"
    ]
    if sectors:
        table = _table(
            [[_("Sector"), _("Participants")]]
            + [
                [_p(label, styles["cell"]), cells[("participants_by_sector", c)].shown]
                for c, label in sectors
            ],
            [4.3 * inch, 1.3 * inch],
        )
        story += [Paragraph(escape(_("Participants by sector")), styles["h2"]), table]
    return story


def _training(rows, cells, styles) -> list:
    story = [
        Paragraph(escape(_("Training")), styles["h2"]),
        _p(
            _("Training sessions held: %(sessions)s. Modules delivered: %(modules)s.")
            % {
                "sessions": cells[("training_sessions_held", TOTAL)].shown,
                "modules": cells[("modules_delivered", TOTAL)].shown,
            },
            styles["body"],
        ),
        KeepTogether(
            [
                _bars(
                    _("People trained, by leg"),
                    [str(leg.label) for leg in Leg],
                    [cells[("people_trained", leg)] for leg in LEGS],
                    horizontal=True,
                ),
                _leg_table(cells, [("people_trained", _("People trained"))], styles),
            ]
        ),
    ]
    modules = [(c, label) for (f, c), (label, _cell) in rows.items() if f == "confidence_change"]
    story.append(Paragraph(escape(_("Knowledge change (self-assessment, 1 to 5)")), styles["h2"]))
    if not modules:
        story.append(
            _p(_("No self-assessments were answered for sessions in the period."), styles["body"])
        )
        return story
    header = [
        _("Module"),
        _("Answers before"),
        _("Answers after"),
        _("Mean before"),
        _("Mean after"),
        _("Change"),
    ]
    body = [
        [
            _p(label, styles["cell"]),
            *(
                cells[(figure, c)].shown
                for figure in (
                    "assessment_answers_before",
                    "assessment_answers_after",
                    "confidence_before",
                    "confidence_after",
                    "confidence_change",
                )
            ),
        ]
        for c, label in modules
    ]
    story.append(_table([header, *body], [2.5 * inch] + [0.8 * inch] * 5))
    return story


def _briefings(rows, cells, styles) -> list:
    sent = cells[("briefing_deliveries", TOTAL)].value
    read = cells[("briefing_reads", TOTAL)].value
    rate = f"{100 * read / sent:.0f} %" if sent else "—"
    return [
        Paragraph(escape(_("Landscape briefings")), styles["h2"]),
        _p(
            _(
                "Landscape briefings delivered in the period: %(briefings)s; deliveries "
                "sent: %(sent)s, of which read: %(read)s (%(rate)s)."
            )
            % {
                "briefings": cells[("briefings_delivered", TOTAL)].shown,
                "sent": sent,
                "read": read,
                "rate": rate,
            },
            styles["body"],
        ),
        KeepTogether(
            [
                _bars(
                    _("Briefing deliveries read, by leg"),
                    [str(leg.label) for leg in Leg],
                    [cells[("briefing_reads", leg)] for leg in LEGS],
                    horizontal=True,
                ),
                _leg_table(
                    cells,
                    [
                        ("briefing_deliveries", _("Deliveries sent")),
                        ("briefing_reads", _("Read")),
                    ],
                    styles,
                ),
            ]
        ),
    ]


def _milestones(rows, cells, styles, *, cities: int) -> list:
    names = [str(m.label) for m in Milestone]
    milestone_cells = [cells[("milestones_reached", m.value)] for m in Milestone]
    heading = _("Cities that reached it") if cities != 1 else _("Reached (1) or not (0)")
    table = _table(
        [[_("Milestone"), heading]]
        + [[_p(n, styles["cell"]), c.shown] for n, c in zip(names, milestone_cells, strict=True)],
        [4.3 * inch, 1.5 * inch],
    )
    return [
        PageBreak(),
        Paragraph(escape(_("Milestones reached in the period")), styles["h2"]),
        KeepTogether(
            [
                _bars(
                    _("Milestones reached, by milestone"), names, milestone_cells, horizontal=True
                ),
                table,
            ]
        ),
    ]


def _cities(summary: Summary, summary_path: Path, styles) -> list:
    if summary.cities <= 1:
        return []
    header = [
        _("City"),
        _("Convenings"),
        _("Participants"),
        _("Trained"),
        _("Modules"),
        _("Deliveries"),
        _("Read"),
        _("Milestones"),
    ]
    story: list = [
        PageBreak(),
        Paragraph(escape(_("Each city")), styles["h2"]),
        _p(
            _(
                "Totals per city (no breakdown by leg or sector, so nothing is held back "
                "here); the CSV has every figure for every city."
            ),
            styles["body"],
        ),
    ]
    for index, offset in enumerate(summary.city_lines):
        count = min(SUMMARY_CHUNK, summary.cities - index * SUMMARY_CHUNK)
        story.append(CityChunk(summary_path, offset, count, header))
    return story
