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

# The national immunization programme schedule for children (NHC 2021 notice 国卫办疾控发〔2021〕10号,
# transcribed in testdata/cn): vaccine, dose, age in months, route, amount, either/or group.
with open(os.path.join(out, "nip-schedule-2021.tsv"), "w", encoding="utf-8") as f:
    f.write("# source: 国家免疫规划疫苗儿童免疫程序（2021年版）, NHC public notice, via testdata/cn/immunization_schedule_nip_2021.csv\n")
    for r in rows("immunization_schedule_nip_2021.csv"):
        f.write("\t".join([r["vaccine_abbr"], r["vaccine_zh"], r["disease_zh"], r["dose_number"], r["age_months"],
                           r["route_zh"], r["dose_amount"], r["alternative_group"]]) + "\n")

# Names for the demo region's synthetic people: surnames by weight (Faker zh_CN, MIT) and the given-name
# characters most used for each sex (ngender charfreq, MIT), the 800 most frequent.
demo = os.path.join(root, "Sources", "DemoRegion", "Resources")
with open(os.path.join(demo, "surnames.tsv"), "w", encoding="utf-8") as f:
    f.write("# source: PyPI faker 40.63.0 providers/person/zh_CN (MIT), via testdata/cn/surnames_zh_cn.csv\n")
    for r in rows("surnames_zh_cn.csv"):
        f.write(f'{r["surname"]}\t{r["weight_percent"]}\n')
chars = sorted(rows("given_name_chars_freq.csv"), key=lambda r: -int(r["total"]))[:800]
with open(os.path.join(demo, "given-name-characters.tsv"), "w", encoding="utf-8") as f:
    f.write("# source: PyPI ngender 0.1.1 charfreq.csv (MIT), via testdata/cn/given_name_chars_freq.csv; char, male count, female count\n")
    for r in chars:
        f.write(f'{r["char"]}\t{r["male_count"]}\t{r["female_count"]}\n')
