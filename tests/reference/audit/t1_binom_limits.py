# Task 1: Spiegelhalter (2005) interpolated exact binomial funnel limits, scipy version.
# r_P found by explicit linear search over r = 0..n of binom.cdf (no ppf fuzz), then
# compared to binom.ppf.  Variant A (the brief / paper form, all P):  (r_P - alpha)/n
# Variant B (Spiegelhalter's own R code gmp26/funnel R/funnel4.R, upper tail): (r_P + 1 - alpha)/n
import sys, scipy, numpy as np
from scipy.stats import binom
NS=[10,25,50,100,237,1000]; P0=[0.05,0.26,0.5,0.63]; PS=[0.001,0.025,0.975,0.999]
def rP_search(P,n,p0):
    for r in range(0,n+1):
        if binom.cdf(r,n,p0) >= P: return r
    raise RuntimeError
print("# python", sys.version.split()[0], "scipy", scipy.__version__, "numpy", np.__version__)
print("n,p0,P,rP,rP_ppf,F_rP,F_rPm1,alpha,limA,limB_upper,alpha_cdfdiff_minus_alpha_pmf")
for n in NS:
  for p0 in P0:
    for P in PS:
      r=rP_search(P,n,p0); rppf=int(binom.ppf(P,n,p0))
      F=binom.cdf(r,n,p0); Fm=binom.cdf(r-1,n,p0); f=binom.pmf(r,n,p0)
      a=(F-P)/f; a2=(F-P)/(F-Fm)
      limA=(r-a)/n; limB=(r+1-a)/n
      print(f"{n},{p0},{P},{r},{rppf},{F:.17g},{Fm:.17g},{a:.17g},{limA:.15g},{limB:.15g},{a2-a:.3g}")
