#!/usr/bin/env python3
"""Rebuild Sources/ChinaReference/Resources from ../shared/testdata/cn (sources and licences in that
folder's README; the files written here name theirs in their first line)."""
import csv, os, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cn = os.path.join(root, "..", "shared", "testdata", "cn")
out = os.path.join(root, "Sources", "ChinaReference", "Resources")

def rows(name):
    with open(os.path.join(cn, name), encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)

# Pinyin: character <TAB> toneless readings, most common first (pypinyin 0.55.0 pinyin_dict, MIT).
with open(os.path.join(out, "pinyin.tsv"), "w", encoding="utf-8") as f:
    f.write("# source: PyPI pypinyin 0.55.0 pinyin_dict.json (MIT), via testdata/cn/pinyin_chars.csv\n")
    for r in rows("pinyin_chars.csv"):
        if r["pinyin_plain"]:
            f.write(f'{r["char"]}\t{r["pinyin_plain"]}\n')

# Divisions in force (NBS 2023, GB/T 2260 levels): code, name, level, parent. NBS-only units left out.
with open(os.path.join(out, "divisions-2023.tsv"), "w", encoding="utf-8") as f:
    f.write("# source: NBS 2023 statistical division codes via modood/Administrative-divisions-of-China 57a0aa9 (WTFPL)\n")
    for r in rows("admin_divisions_2023.csv"):
        if r["nbs_statistical_only"] == "1":
            continue
        f.write(f'{r["code"]}\t{r["name"]}\t{r["level"]}\t{r["parent_code"]}\n')

# Every county-or-higher code ever valid (MCA 1980-2019, GB 2002/2007, NBS 2023): the first six
# digits of a resident ID are the code in force when it was issued (R-ID18).
with open(os.path.join(out, "division-codes-history.tsv"), "w", encoding="utf-8") as f:
    f.write("# source: cn/GB2260 1173e8b (MCA revisions 1980-2019, GB/T 2260-2002/2007; public government data) + NBS 2023\n")
    for r in rows("admin_division_codes_history.csv"):
        f.write(f'{r["code"]}\t{r["name"]}\t{r["first_seen_year"]}\t{r["last_seen_year"]}\n')
print("written to", out)
