# Reference values for the SCAS intervals (src/stats/scas.rs), the stratified
# Miettinen-Nurminen interval with Mantel-Haenszel weights (src/stats/stratified_score.rs) and
# Blaker's exact test and interval (src/stats/blaker.rs), from the R packages that define them.
#
# Run: RATESCI_R=dir EXACT2X2_R=dir Rscript tests/reference/scas_blaker.R
#   RATESCI_R:  the R/ folder of ratesci 0.4-0.9000 (GitHub PeteLaud/ratesci, commit 4c1830c),
#   EXACT2X2_R: the R/ folder of exact2x2 1.7.0 (CRAN), both sourced as they are (neither
#   package is in Debian, and the machines reach no CRAN mirror). R 4.2.2 (Debian r-base-core).
# Writes tests/reference/data/scas.csv, stratified_mn.csv, blaker.csv and farrington_manning.csv,
# which the Rust tests read; the Rust side must match them to the tolerances named there.
for (f in list.files(Sys.getenv("RATESCI_R"), pattern = "[.]R$", full.names = TRUE)) source(f)
e <- Sys.getenv("EXACT2X2_R")
source(file.path(e, "exact2x2CI.R")); source(file.path(e, "exact2x2Pvals.R"))
out <- "tests/reference/data"
options(digits = 17)

# Tables: published examples (Newcombe 1998 Table II, Laud 2017 Table 2), DREAM-sized arms, large arms,
# edges (zeros, all responders) and a seeded random sample of small and large arms.
tabs <- rbind(
  c(56, 70, 48, 80), c(9, 10, 3, 10), c(6, 7, 2, 7), c(5, 56, 0, 29), c(0, 10, 0, 20),
  c(10, 10, 0, 20), c(10, 10, 0, 10), c(12, 16, 1, 16), c(19, 29, 22, 30), c(7, 25, 2, 25),
  c(24, 38, 10, 38), c(30, 40, 12, 41), c(0, 15, 3, 15), c(15, 15, 14, 15), c(1, 1, 0, 1),
  c(120, 200, 95, 210), c(2, 400, 9, 380), c(398, 400, 380, 400), c(1250, 2500, 1000, 2500),
  c(3000, 10000, 2900, 10000), c(5, 20000, 1, 20000)
)
set.seed(20261206)
for (i in 1:60) {
  n1 <- sample(c(2:40, 60, 100, 250), 1); n2 <- sample(c(2:40, 60, 100, 250), 1)
  tabs <- rbind(tabs, c(sample(0:n1, 1), n1, sample(0:n2, 1), n2))
}
levels <- c(0.95, 0.9, 0.99)

scas <- NULL
for (i in seq_len(nrow(tabs))) for (lv in levels) {
  t <- tabs[i, ]
  rd <- scoreci(x1 = t[1], n1 = t[2], x2 = t[3], n2 = t[4], contrast = "RD", skew = TRUE,
                level = lv, precis = 12)$estimates
  rr <- if (t[1] + t[3] > 0) scoreci(x1 = t[1], n1 = t[2], x2 = t[3], n2 = t[4],
                contrast = "RR", skew = TRUE, RRtang = FALSE, level = lv, precis = 12)$estimates
        else matrix(NA, 1, 3)
  scas <- rbind(scas, data.frame(xt = t[1], nt = t[2], xc = t[3], nc = t[4], level = lv,
    rd_low = rd[1, 1], rd_high = rd[1, 3], rr_low = rr[1, 1], rr_high = rr[1, 3]))
}
write.csv(scas, file.path(out, "scas.csv"), row.names = FALSE)

# Stratified: SAS's migraine example, Laud 2017's cisapride trial (13 centres), Mehrotra &
# Railkar's three strata, DREAM-like sites, and seeded random stratified tables.
strat <- list(
  list(x1 = c(16, 12), n1 = c(27, 28), x2 = c(5, 7), n2 = c(25, 26)),
  list(x1 = c(15, 12, 29, 42, 14, 44, 14, 29, 10, 17, 38, 19, 21),
       n1 = c(16, 16, 34, 56, 22, 54, 17, 58, 14, 26, 44, 29, 38),
       x2 = c(9, 1, 18, 31, 6, 17, 7, 23, 3, 6, 12, 22, 19),
       n2 = c(16, 16, 34, 56, 22, 55, 15, 58, 15, 27, 45, 30, 38)),
  list(x1 = c(21, 11, 8), n1 = c(464, 165, 69), x2 = c(26, 25, 11), n2 = c(453, 174, 70)),
  list(x1 = c(24, 30), n1 = c(38, 40), x2 = c(10, 12), n2 = c(38, 41)),
  list(x1 = c(0, 3, 5), n1 = c(4, 10, 12), x2 = c(0, 1, 6), n2 = c(5, 9, 12))
)
for (i in 1:25) {
  k <- sample(2:6, 1); n1 <- sample(2:60, k, TRUE); n2 <- sample(2:60, k, TRUE)
  strat[[length(strat) + 1]] <- list(x1 = sapply(n1, function(n) sample(0:n, 1)), n1 = n1,
                                     x2 = sapply(n2, function(n) sample(0:n, 1)), n2 = n2)
}
enc <- function(s) paste(paste0(s$x1, "/", s$n1, ":", s$x2, "/", s$n2), collapse = ",")
smn <- NULL
for (s in strat) for (lv in levels) {
  r <- scoreci(x1 = s$x1, n1 = s$n1, x2 = s$x2, n2 = s$n2, contrast = "RD", stratified = TRUE,
               weighting = "MH", skew = FALSE, level = lv, precis = 12)$estimates
  smn <- rbind(smn, data.frame(strata = enc(s), level = lv, low = r[1, 1], high = r[1, 3]))
}
write.csv(smn, file.path(out, "stratified_mn.csv"), row.names = FALSE)

# Blaker: exact2x2's table layout is [[x_t, x_c], [n_t - x_t, n_c - x_c]] by columns, i.e.
# matrix(c(x_t, n_t - x_t, x_c, n_c - x_c), 2, 2) has rows = arms; tol 1e-8 (the smallest it
# accepts without warning) gives limits rounded to 7 decimals.
bl <- NULL
for (i in seq_len(nrow(tabs))) for (lv in c(0.95, 0.9, 0.99)) {
  t <- tabs[i, ]
  if (t[1] + t[3] == 0 || t[1] + t[3] == t[2] + t[4]) next
  x <- matrix(c(t[1], t[3], t[2] - t[1], t[4] - t[3]), 2, 2)
  ci <- exact2x2CI(x, tsmethod = "blaker", conf.level = lv, tol = 1e-8)
  p <- exact2x2Pvals(x, 1, tsmethod = "blaker")$pvals
  bl <- rbind(bl, data.frame(xt = t[1], nt = t[2], xc = t[3], nc = t[4], level = lv,
                             p = p, low = ci[1], high = ci[2]))
}
write.csv(bl, file.path(out, "blaker.csv"), row.names = FALSE)
cat("wrote", nrow(scas), "SCAS rows,", nrow(smn), "stratified rows,", nrow(bl), "Blaker rows\n")

# Farrington-Manning score statistics (src/stats/score.rs, used by the margin tests): ratesci's
# score at theta0 with bcf = FALSE and skew = FALSE is the Farrington-Manning statistic (its
# documentation of theta0), RR with RRtang = FALSE (Farrington & Manning's S = p1 - theta p2).
fm <- NULL
for (i in seq_len(nrow(tabs))) {
  t <- tabs[i, ]
  for (d0 in c(-0.2, -0.1, 0.1)) {
    z <- scoreci(x1 = t[1], n1 = t[2], x2 = t[3], n2 = t[4], contrast = "RD", skew = FALSE,
                 bcf = FALSE, theta0 = d0)$pval[1, "scorenull"]
    fm <- rbind(fm, data.frame(xt = t[1], nt = t[2], xc = t[3], nc = t[4], scale = "difference",
                               margin = d0, z = z))
  }
  if (t[1] + t[3] > 0) for (r0 in c(0.8, 1.25)) {
    z <- scoreci(x1 = t[1], n1 = t[2], x2 = t[3], n2 = t[4], contrast = "RR", skew = FALSE,
                 bcf = FALSE, RRtang = FALSE, theta0 = r0)$pval[1, "scorenull"]
    fm <- rbind(fm, data.frame(xt = t[1], nt = t[2], xc = t[3], nc = t[4], scale = "ratio",
                               margin = r0, z = z))
  }
}
write.csv(fm, file.path(out, "farrington_manning.csv"), row.names = FALSE)
cat("wrote", nrow(fm), "Farrington-Manning rows\n")
