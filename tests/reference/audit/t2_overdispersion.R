# Task 2: Spiegelhalter (2005) overdispersion on the raw-proportion scale, written from the formulas.
options(digits=17)
N <- c(120, 85, 230, 60, 150, 310, 45, 200, 95, 175, 260, 70)
O <- c(62, 30, 140, 35, 70, 160, 15, 90, 60, 95, 120, 48)
I <- length(N)
f15 <- function(x) formatC(x, digits=15, format="g")
zq <- c(z95=qnorm(0.975), z998=qnorm(0.999))
cat("#", R.version.string, "\n")
cat("qnorm(0.975) =", f15(zq[1]), " qnorm(0.999) =", f15(zq[2]), "\n")
# Spiegelhalter's own rank-based winsorise (gmp26/funnel R/funnel4.R), winsor in percent
winsorise_DS <- function(Z,winsor){ n<-length(Z); Z.ord<-Z[order(Z)]; winlow<-trunc((n*winsor)/100)+1; winhigh<-n-winlow+1
  for(i in 1:winlow) Z.ord[i]<-Z.ord[winlow]; for(i in winhigh:n) Z.ord[i]<-Z.ord[winhigh]; Z.ord[rank(Z)] }
run <- function(p0, label){
  cat("\n==========", label, ": p0 =", f15(p0), "==========\n")
  y <- O/N; s <- sqrt(p0*(1-p0)/N); z <- (y-p0)/s
  q <- quantile(z, c(0.1,0.9), type=7, names=FALSE)
  zw <- pmin(pmax(z, q[1]), q[2])            # clamp below P10 / above P90
  cat("P10 (type 7) =", f15(q[1]), "  P90 (type 7) =", f15(q[2]), "\n")
  cat("i,N,O,y,s,z,z_w,z_w^2\n")
  for(i in 1:I) cat(i, N[i], O[i], f15(y[i]), f15(s[i]), f15(z[i]), f15(zw[i]), f15(zw[i]^2), sep=",", "\n")
  ss <- sum(zw^2); phi <- ss/I
  cat("sum z_w^2 =", f15(ss), "  phi = sum/12 =", f15(phi), "\n")
  cat("(unwinsorised: sum z^2 =", f15(sum(z^2)), " phi_raw =", f15(sum(z^2)/I), ")\n")
  w <- 1/s^2; den <- sum(w) - sum(w^2)/sum(w)
  tau2 <- max(0, (I*phi - (I-1))/den)
  cat("sum w =", f15(sum(w)), " sum w^2 =", f15(sum(w^2)), " denom =", f15(den), "\n")
  cat("I*phi-(I-1) =", f15(I*phi-(I-1)), "  tau2 =", f15(tau2), "  tau =", f15(sqrt(tau2)), "\n")
  for(n in c(45,310)){ si <- sqrt(p0*(1-p0)/n)
    for(k in names(zq)){ zz <- zq[[k]]
      cat(sprintf("N=%d %s: s=%s | unadjusted [%s, %s] | mult sqrt(phi) [%s, %s] | additive tau2 [%s, %s]\n", n, k, f15(si),
        f15(p0-zz*si), f15(p0+zz*si), f15(p0-zz*sqrt(phi)*si), f15(p0+zz*sqrt(phi)*si),
        f15(p0-zz*sqrt(si^2+tau2)), f15(p0+zz*sqrt(si^2+tau2)))) } }
  # alternative winsorisation: Spiegelhalter's own rank-based winsorise(), 10%
  zd <- winsorise_DS(z, 10); phid <- sum(zd^2)/I; tau2d <- max(0,(I*phid-(I-1))/den)
  cat("[alt: DS rank winsorise(z,10)] z_w =", paste(f15(zd), collapse=", "), "\n")
  cat("[alt: DS rank winsorise] sum z_w^2 =", f15(sum(zd^2)), " phi =", f15(phid), " tau2 =", f15(tau2d), "\n")
  invisible(list(z=z,zw=zw,phi=phi,tau2=tau2))
}
r1 <- run(0.5, "target 0.5")
r2 <- run(sum(O)/sum(N), "pooled target sum(O)/sum(N) = 925/1800")

# ---- FunnelPlotR convention: run FunnelPlotR's own internal functions (sourced verbatim from
#      nhs-r-community/FunnelPlotR @ 9020d497, R/od_adjustment.R and R/calculate_limits.R) ----
source("FunnelPlotR_od_adjustment.R"); source("FunnelPlotR_calculate_limits.R")
cat("\n========== FunnelPlotR 0.6.0 pipeline (data_type='PR', trim_by=0.1; arcsine scale, pooled target) ==========\n")
agg <- data.frame(group=1:I, numerator=O, denominator=N); agg$rr <- O/N
target <- sum(agg$numerator)/sum(agg$denominator)
agg <- transformed_zscore(agg, data_type="PR", sr_method="SHMI")
agg <- winsorisation(agg, trim_by=0.1)
n <- as.numeric(sum(!is.na(agg$Wuzscore)))
phi <- phi_func(n=n, zscores=na.omit(agg$Wuzscore))
tau2 <- tau_func(n=n, phi=phi, S=agg[!is.na(agg$Wuzscore),]$s)
cat("target =", f15(target), " asin(sqrt(target)) =", f15(asin(sqrt(target))), "\n")
cat("i,N,O,Y=asin(sqrt(O/N)),s=1/(2sqrt(N)),Uzscore,Wuzscore\n")
for(i in 1:I) cat(i,N[i],O[i],f15(agg$Y[i]),f15(agg$s[i]),f15(agg$Uzscore[i]),f15(agg$Wuzscore[i]),sep=",","\n")
cat("P10/P90 of Uzscore (type 7):", f15(quantile(agg$Uzscore,0.1,names=FALSE)), f15(quantile(agg$Uzscore,0.9,names=FALSE)), "\n")
cat("sum Wuzscore^2 =", f15(sum(agg$Wuzscore^2)), " phi =", f15(phi), " tau2 =", f15(tau2), "\n")
df <- data.frame(number_seq=c(45,310))
lim <- calculate_limits(df, data_type="PR", sr_method="SHMI", multiplier=1, tau2=tau2, target=target, draw_adjusted=TRUE)
lim <- calculate_limits(lim, data_type="PR", sr_method="SHMI", multiplier=1, tau2=tau2, target=target, draw_adjusted=FALSE)
for(j in 1:nrow(lim)) cat(sprintf("N=%d: OD 95%% [%s, %s]  OD 99.8%% [%s, %s] | unadj 95%% [%s, %s]  unadj 99.8%% [%s, %s]\n", lim$number_seq[j],
  f15(lim$odll95[j]), f15(lim$odul95[j]), f15(lim$odll998[j]), f15(lim$odul998[j]),
  f15(lim$ll95[j]), f15(lim$ul95[j]), f15(lim$ll998[j]), f15(lim$ul998[j])))
cat("(note: the monotonicity fix in calculate_limits compares adjacent rows; with rows N=45,310 it does not trigger here)\n")
