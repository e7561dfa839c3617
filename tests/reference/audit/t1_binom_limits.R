# Task 1, R version. r_P by explicit search over pbinom (no qbinom fuzz); qbinom reported for comparison.
NS <- c(10,25,50,100,237,1000); P0 <- c(0.05,0.26,0.5,0.63); PS <- c(0.001,0.025,0.975,0.999)
rP_search <- function(P,n,p0){ for(r in 0:n) if(pbinom(r,n,p0) >= P) return(r); stop("no r") }
cat("#", R.version.string, "\n")
cat("n,p0,P,rP,rP_qbinom,alpha,limA,limB_upper\n")
for(n in NS) for(p0 in P0) for(P in PS){
  r <- rP_search(P,n,p0); rq <- qbinom(P,n,p0)
  a <- (pbinom(r,n,p0)-P)/dbinom(r,n,p0)
  cat(sprintf("%d,%s,%s,%d,%d,%.17g,%.15g,%.15g\n", n, format(p0), format(P), r, rq, a, (r-a)/n, (r+1-a)/n))
}
# Spiegelhalter's own function, verbatim logic (gmp26/funnel R/funnel4.R qbinom.interp), without clamps
qbinom.interp.noclamp <- function(p, denom, target, tail){
  if(tail=="lower"){ rp=qbinom(p,denom,target); alpha=(pbinom(rp,denom,target)-p)/dbinom(rp,denom,target); x=(rp-alpha)/denom }
  if(tail=="upper"){ rp=qbinom(1-p,denom,target); alpha=(pbinom(rp,denom,target)-(1-p))/dbinom(rp,denom,target); x=(rp+1-alpha)/denom }
  x }
cat("# check: Spiegelhalter qbinom.interp (unclamped) lower tail p=0.001,0.025 and upper tail p=0.025,0.001\n")
cat("n,p0,DS_lower_0.001,DS_lower_0.025,DS_upper_0.025,DS_upper_0.001\n")
for(n in NS) for(p0 in P0) cat(sprintf("%d,%s,%.15g,%.15g,%.15g,%.15g\n", n, format(p0),
   qbinom.interp.noclamp(0.001,n,p0,"lower"), qbinom.interp.noclamp(0.025,n,p0,"lower"),
   qbinom.interp.noclamp(0.025,n,p0,"upper"), qbinom.interp.noclamp(0.001,n,p0,"upper")))
