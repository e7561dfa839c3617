# Task 2 cross-check with numpy (independent of the R script). Quantile type 7 implemented by hand
# and compared with numpy.quantile(method='linear') (= R type 7).
import numpy as np, scipy, sys
from fractions import Fraction
from scipy.stats import norm
N=np.array([120,85,230,60,150,310,45,200,95,175,260,70],float)
O=np.array([62,30,140,35,70,160,15,90,60,95,120,48],float)
I=len(N); z95,z998=norm.ppf(0.975),norm.ppf(0.999)
def q7(x,p):
    xs=np.sort(x); h=(len(x)-1)*p; lo=int(np.floor(h)); return xs[lo]+(h-lo)*(xs[min(lo+1,len(x)-1)]-xs[lo])
g=lambda v: f"{v:.15g}"
print("# python",sys.version.split()[0],"numpy",np.__version__,"scipy",scipy.__version__)
out={}
for label,p0 in [("p0=0.5",0.5),("p0=pooled 925/1800",O.sum()/N.sum())]:
    y=O/N; s=np.sqrt(p0*(1-p0)/N); z=(y-p0)/s
    lo,hi=q7(z,0.1),q7(z,0.9); assert abs(lo-np.quantile(z,0.1))<1e-15 and abs(hi-np.quantile(z,0.9))<1e-15
    zw=np.clip(z,lo,hi); phi=np.sum(zw**2)/I
    w=1/s**2; tau2=max(0.0,(I*phi-(I-1))/(w.sum()-(w**2).sum()/w.sum()))
    print(f"\n== {label} (p0={g(p0)}) P10={g(lo)} P90={g(hi)}")
    print("z   =",", ".join(g(v) for v in z)); print("z_w =",", ".join(g(v) for v in zw))
    print("phi =",g(phi)," tau2 =",g(tau2))
    for n in (45,310):
        si=np.sqrt(p0*(1-p0)/n)
        for nm,zz in (("95%",z95),("99.8%",z998)):
            print(f"N={n} {nm}: mult [{g(p0-zz*np.sqrt(phi)*si)}, {g(p0+zz*np.sqrt(phi)*si)}]  add [{g(p0-zz*np.sqrt(si**2+tau2))}, {g(p0+zz*np.sqrt(si**2+tau2))}]")
# hand arithmetic, p0=0.5: z_i = (2 O_i - N_i)/sqrt(N_i), so z_i^2 = (2O_i-N_i)^2/N_i exactly
print("\n== hand arithmetic for p0=0.5: z_i^2 = (2*O_i - N_i)^2 / N_i")
z2=[Fraction(int(2*o-n)**2,int(n)) for o,n in zip(O,N)]
for i,(o,n,f) in enumerate(zip(O,N,z2),1): print(f"unit {i:2d}: (2*{int(o)}-{int(n)})^2/{int(n)} = {f.numerator}/{f.denominator} = {float(f):.10f}")
print("sum z^2 (unwinsorised) =",g(float(sum(z2))))
