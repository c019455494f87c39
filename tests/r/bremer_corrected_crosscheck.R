# pactwatch's *corrected* Bremer (1992) variant (replicate bremer-1992 --variant corrected), written independently in R
# (dplyr) from the same CSV files pactwatch reads, for tests/test_bremer_corrected_r.py. A cross-implementation check of
# pactwatch's own rules, NOT a replication check: it is not peacesciencer's code and does not follow all of its rules
# (peacesciencer's own figures are in pactwatch.replications.bremer.PEER). peacesciencer itself is not needed.
#
#   Rscript tests/r/bremer_corrected_crosscheck.R DATA_DIR OUT.json
#
# Rules: dyad-years = COW system state-years paired within a year, ccode1 < ccode2, minus peacesciencer's false dyads;
# contiguity = the lowest type 1-5 over the COW master records active in the year (peacesciencer's type-0 records
# ignored: the correction); major power = any part of the year in majors2016; GML MIDs merged as published, 0 when
# absent; spells counted in rows per dyad since the last year with an ongoing dispute; milper, tpop, cinc from
# peacesciencer's cow_nmc; aeuds from cw_democracy; ATOP defense from peacesciencer's atop_alliance, 1 if either state
# has the obligation toward the other; mrgdppc from cw_gdppop; the vignette's recodes; glm on raw units.
suppressPackageStartupMessages({
  library(dplyr)
  library(readr)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
dd <- args[1]
out_path <- args[2]
rd <- function(p) suppressMessages(read_csv(file.path(dd, p), show_col_types = FALSE, progress = FALSE))

sys <- rd("cow/system2016.csv") %>% select(ccode, year) %>% filter(year <= 2010)
false_dyads <- rd("peacesciencer/false_cow_dyads.csv") %>% select(ccode1, ccode2, year)
dy <- inner_join(sys %>% rename(ccode1 = ccode), sys %>% rename(ccode2 = ccode), by = "year",
                 relationship = "many-to-many") %>%
  filter(ccode1 < ccode2) %>%
  anti_join(false_dyads, by = c("ccode1", "ccode2", "year"))
n_dyad_years <- nrow(dy)

# contiguity: expand the master records to years, lowest non-zero type per dyad-year
cd <- rd("peacesciencer/cow_contdir.csv") %>% filter(conttype > 0) %>%
  mutate(y0 = as.integer(substr(as.character(stdate), 1, 4)), y1 = as.integer(substr(as.character(enddate), 1, 4)))
cy <- cd[rep(seq_len(nrow(cd)), cd$y1 - cd$y0 + 1), ] %>%
  group_by(ccode1, ccode2, stdate) %>% mutate(year = y0 + row_number() - 1L) %>% ungroup() %>%
  group_by(ccode1, ccode2, year) %>% summarize(conttype = min(conttype), .groups = "drop")
mj <- rd("cow/majors2016.csv")
my <- mj[rep(seq_len(nrow(mj)), mj$endyear - mj$styear + 1), ] %>%
  group_by(ccode, styear) %>% mutate(year = styear + row_number() - 1L) %>% ungroup() %>%
  distinct(ccode, year) %>% mutate(cowmaj = 1)

dy <- dy %>% left_join(cy, by = c("ccode1", "ccode2", "year")) %>%
  mutate(conttype = ifelse(is.na(conttype), 0, conttype)) %>%
  left_join(my %>% rename(ccode1 = ccode, cowmaj1 = cowmaj), by = c("ccode1", "year")) %>%
  left_join(my %>% rename(ccode2 = ccode, cowmaj2 = cowmaj), by = c("ccode2", "year")) %>%
  mutate(cowmaj1 = ifelse(is.na(cowmaj1), 0, cowmaj1), cowmaj2 = ifelse(is.na(cowmaj2), 0, cowmaj2)) %>%
  filter(conttype >= 1 | cowmaj1 == 1 | cowmaj2 == 1)
n_prd <- nrow(dy)

gml <- rd("peacesciencer/gml_mid_ddydisps.csv") %>% select(ccode1, ccode2, year, gmlmidonset, gmlmidongoing)
dy <- dy %>% left_join(gml, by = c("ccode1", "ccode2", "year")) %>%
  mutate(gmlmidonset = ifelse(is.na(gmlmidonset), 0, gmlmidonset),
         gmlmidongoing = ifelse(is.na(gmlmidongoing), 0, gmlmidongoing))

count_spell <- function(x) {
  out <- integer(length(x))
  run <- 0L
  for (i in seq_along(x)) {
    out[i] <- run
    run <- if (x[i] == 1) 0L else run + 1L
  }
  out
}
dy <- dy %>% arrange(ccode1, ccode2, year) %>% group_by(ccode1, ccode2) %>%
  mutate(gmlmidspell = count_spell(gmlmidongoing)) %>% ungroup()

nmc <- rd("peacesciencer/cow_nmc.csv") %>% select(ccode, year, milper, tpop, cinc)
dem <- rd("regime/cw_democracy.csv") %>% select(ccode, year, aeuds)
gdp <- rd("regime/cw_gdppop.csv") %>% select(ccode, year, mrgdppc)
atop <- rd("peacesciencer/atop_alliance.csv.gz") %>% select(ccode1, ccode2, year, atop_defense) %>%
  mutate(lo = pmin(ccode1, ccode2), hi = pmax(ccode1, ccode2)) %>%
  group_by(lo, hi, year) %>% summarize(atop_defense = max(atop_defense), .groups = "drop") %>%
  rename(ccode1 = lo, ccode2 = hi)
both <- function(d, t) {
  n <- setdiff(names(t), c("ccode", "year"))
  t1 <- t; names(t1) <- c("ccode1", "year", paste0(n, "1"))
  t2 <- t; names(t2) <- c("ccode2", "year", paste0(n, "2"))
  d %>% left_join(t1, by = c("ccode1", "year")) %>% left_join(t2, by = c("ccode2", "year"))
}
dy <- dy %>% both(nmc) %>% both(dem) %>%
  left_join(atop, by = c("ccode1", "ccode2", "year")) %>%
  mutate(atop_defense = ifelse(is.na(atop_defense), 0, atop_defense)) %>%
  both(gdp)

dy <- dy %>%
  mutate(landcontig = ifelse(conttype == 1, 1, 0),
         cowmajdyad = ifelse(cowmaj1 == 1 | cowmaj2 == 1, 1, 0),
         milit1 = milper1 / tpop1, milit2 = milper2 / tpop2,
         minmilit = ifelse(milit1 > milit2, milit2, milit1),
         cincprop = ifelse(cinc1 > cinc2, cinc2 / cinc1, cinc1 / cinc2),
         mindemest = ifelse(aeuds1 > aeuds2, aeuds2, aeuds1),
         minmgdppc = ifelse(mrgdppc1 > mrgdppc2, mrgdppc2, mrgdppc1))

m <- glm(gmlmidonset ~ landcontig + cincprop + cowmajdyad + atop_defense + mindemest + minmgdppc + minmilit +
           gmlmidspell + I(gmlmidspell^2) + I(gmlmidspell^3),
         data = dy, family = binomial(link = "logit"), control = glm.control(epsilon = 1e-14, maxit = 100))
s <- summary(m)$coefficients
res <- list(
  dyad_years = n_dyad_years, prd = n_prd, n = nobs(m), onsets = sum(m$y), loglik = as.numeric(logLik(m)),
  terms = rownames(s), coef = unname(s[, 1]), se = unname(s[, 2]), converged = m$converged
)
write(toJSON(res, digits = NA, auto_unbox = TRUE), out_path)
