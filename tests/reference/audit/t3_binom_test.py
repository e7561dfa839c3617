# Task 3 cross-check: scipy.stats.binomtest p-value (two-sided) and exact (Clopper-Pearson) CI,
# plus an explicit re-implementation of R's rule (sum of pmf <= d*(1+1e-7)) and beta.ppf CP limits.
import sys, scipy, numpy as np
from scipy.stats import binomtest, binom, beta
cases=[(0,40),(2,40),(5,40),(9,60),(1,200),(25,200),(10,200),(0,1),(1,1)]
def r_pvalue(x,n,p):
    d=binom.pmf(x,n,p); m=n*p; rel=1+1e-7
    if x==m: return 1.0
    if x<m:
        i=np.arange(int(np.ceil(m)),n+1); y=int(np.sum(binom.pmf(i,n,p)<=d*rel))
        return min(1.0, binom.cdf(x,n,p)+binom.sf(n-y,n,p))
    i=np.arange(0,int(np.floor(m))+1); y=int(np.sum(binom.pmf(i,n,p)<=d*rel))
    return min(1.0, binom.cdf(y-1,n,p)+binom.sf(x-1,n,p))
g=lambda v: f"{v:.15g}"
print("# python",sys.version.split()[0],"scipy",scipy.__version__)
print("x,n,scipy_binomtest_pvalue,R_rule_reimpl_pvalue,scipy_CP_lower,scipy_CP_upper,beta_ppf_lower,beta_ppf_upper")
for x,n in cases:
    r=binomtest(x,n,0.05); ci=binomtest(x,n).proportion_ci(confidence_level=0.95,method='exact')
    lo=0.0 if x==0 else beta.ppf(0.025,x,n-x+1); hi=1.0 if x==n else beta.ppf(0.975,x+1,n-x)
    print(x,n,g(r.pvalue),g(r_pvalue(x,n,0.05)),g(ci.low),g(ci.high),g(lo),g(hi),sep=",")
