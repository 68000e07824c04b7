# FunctionBench chameleon: render an HTML table of num_of_rows x num_of_cols cells with the Chameleon template engine
# (FunctionBench's BIGTABLE_ZPT: each cell shows its column's number plus one); compiling and rendering are timed.
import re
import time

from chameleon import PageTemplate

BIGTABLE_ZPT = """\
<table xmlns="http://www.w3.org/1999/xhtml"
xmlns:tal="http://xml.zope.org/namespaces/tal">
<tr tal:repeat="row python: options['table']">
<td tal:repeat="c python: row.values()">
<span tal:define="d python: c + 1"
tal:attributes="class python: 'column-' + str(d)"
tal:content="python: d" />
</td>
</tr>
</table>"""


def lambda_handler(event, context):
    rows = int(event["num_of_rows"])
    cols = int(event["num_of_cols"])
    start = time.perf_counter()
    template = PageTemplate(BIGTABLE_ZPT)
    row = {str(i): i for i in range(cols)}
    html = template.render(options={"table": [row for _ in range(rows)]})
    latency = time.perf_counter() - start
    values = [int(v) for v in re.findall(r'<span class="column-\d+">(\d+)</span>', html)]
    return {"latency_s": latency, "num_of_rows": rows, "num_of_cols": cols, "html_bytes": len(html),
            "rows": html.count("<tr"), "cells": html.count("<td"), "spans": len(values), "cell_sum": sum(values)}
