# Task 3: R binom.test two-sided p-value vs p=0.05 and Clopper-Pearson 95% CI (binom.test(x,n)$conf.int)
cases <- list(c(0,40),c(2,40),c(5,40),c(9,60),c(1,200),c(25,200),c(10,200),c(0,1),c(1,1))
f15 <- function(x) formatC(x, digits=15, format="g")
cat("#", R.version.string, "\n"); cat("x,n,p_value_vs_0.05,CP_lower,CP_upper\n")
for(cc in cases){ x<-cc[1]; n<-cc[2]
  pv <- binom.test(x,n,p=0.05)$p.value; ci <- binom.test(x,n)$conf.int
  stopifnot(all(ci == binom.test(x,n,p=0.05)$conf.int))   # CI does not depend on p
  cat(x,n,f15(pv),f15(ci[1]),f15(ci[2]),sep=",","\n") }
