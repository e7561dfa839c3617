# Compare scipy vs R outputs for Task 1; check Spiegelhalter-code equivalence and margin to ties.
import csv
from scipy.stats import binom
def load(fn,ncol):
    rows=[l for l in open(fn) if not l.startswith('#')]
    out={}
    hdr=rows[0].strip().split(',')
    for l in rows[1:]:
        f=l.strip().split(',')
        if len(f)!=ncol: break
        out[(int(f[0]),float(f[1]),float(f[2]))]=dict(zip(hdr,f))
    return out
S=load('t1_out_scipy.csv',11); R=load('t1_out_R.csv',8)
mA=max(abs(float(S[k]['limA'])-float(R[k]['limA'])) for k in S)
mB=max(abs(float(S[k]['limB_upper'])-float(R[k]['limB_upper'])) for k in S)
print("cells:",len(S),"rP equal in all:",all(S[k]['rP']==R[k]['rP'] for k in S))
print("max|limA scipy-R| =%.3g  max|limB scipy-R| =%.3g"%(mA,mB))
mr=max(abs(float(S[k]['limA'])-float(R[k]['limA']))/max(abs(float(R[k]['limA'])),1e-300) for k in S)
print("max rel diff limA = %.3g"%mr)
print("max |alpha(cdf-diff denom) - alpha(pmf denom)| = %.3g"%max(abs(float(S[k]['alpha_cdfdiff_minus_alpha_pmf'])) for k in S))
# margin to ties: min over cells of |F(r)-P| for r=rP and rP-1, relative to P
m=min(min(abs(binom.cdf(r,n,p0)-P)/P for r in (int(S[(n,p0,P)]['rP']),int(S[(n,p0,P)]['rP'])-1)) for (n,p0,P) in S)
print("min relative |F(r)-P| at r in {rP, rP-1}: %.3g (>>1e-12, so r_P is not fuzz-sensitive)"%m)
# symmetry check: variant B upper(n,p0,P) == 1 - variant A lower(n,1-p0,1-P)?
import math
def limA(P,n,p0):
    r=next(r for r in range(n+1) if binom.cdf(r,n,p0)>=P); a=(binom.cdf(r,n,p0)-P)/binom.pmf(r,n,p0); return (r-a)/n
md=0
for (n,p0,P) in S:
    if P>0.5: md=max(md,abs(float(S[(n,p0,P)]['limB_upper'])-(1-limA(1-P,n,1-p0))))
print("max |limB_upper(n,p0,P) - (1 - limA(n,1-p0,1-P))| = %.3g  (B is the mirror image of the lower-tail rule)"%md)
