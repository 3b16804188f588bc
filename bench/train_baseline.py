#!/usr/bin/python3
"""The Python side of bench/train.sh: reads the Kaggle-layout CSV the benchmark loads into
PostgreSQL for `titanic-train --score`, builds the "reference" design (intercept, female, pclass2, pclass3, age with
missing ages set to the median known age, sibsp, parch, fare) and fits it with either
scikit-learn's LogisticRegression(penalty=None) or statsmodels' Logit, timing read and fit.
Prints one JSON object (timings, coefficients), so the shell script can compare them."""
import json
import sys
import time

import numpy as np
import pandas as pd

COLUMNS = ["intercept", "female", "pclass2", "pclass3", "age", "sibsp", "parch", "fare"]


def read_design(path):
    d = pd.read_csv(path, usecols=["Survived", "Pclass", "Sex", "Age", "SibSp", "Parch", "Fare"])
    age = d["Age"].to_numpy(dtype=float)
    age = np.where(np.isnan(age), np.nanmedian(age), age)
    fare = d["Fare"].to_numpy(dtype=float)
    pclass = d["Pclass"].to_numpy()
    fare_median = {c: np.nanmedian(fare[pclass == c]) for c in (1, 2, 3)}
    missing = np.isnan(fare)
    if missing.any():
        fare[missing] = [fare_median[c] for c in pclass[missing]]
    X = np.column_stack([
        np.ones(len(d)),
        (d["Sex"] == "female").to_numpy(dtype=float),
        (pclass == 2).astype(float),
        (pclass == 3).astype(float),
        age,
        d["SibSp"].to_numpy(dtype=float),
        d["Parch"].to_numpy(dtype=float),
        fare,
    ])
    return X, d["Survived"].to_numpy(dtype=float)


def fit_sklearn(X, y):
    from sklearn.linear_model import LogisticRegression
    # The intercept is column 0 of X, as in the C fitter; max_iter raised so lbfgs can finish on
    # the unscaled fare and age columns (the default 100 stops early with a warning).
    m = LogisticRegression(penalty=None, fit_intercept=False, max_iter=1000)
    m.fit(X, y)
    return m.coef_[0], None, m.n_iter_[0], None


def fit_statsmodels(X, y):
    import statsmodels.api as sm
    r = sm.Logit(y, X).fit(method="newton", disp=0, tol=1e-10)
    return r.params, r.bse, r.mle_retvals["iterations"], r.llf


def main():
    path, which = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    X, y = read_design(path)
    read_s = time.perf_counter() - start
    beta, se, iterations, llf = (fit_sklearn if which == "sklearn" else fit_statsmodels)(X, y)
    total_s = time.perf_counter() - start
    out = {
        "rows": len(y), "columns": X.shape[1], "read_seconds": round(read_s, 3),
        "fit_seconds": round(total_s - read_s, 3), "total_seconds": round(total_s, 3),
        "iterations": int(iterations),
        "log_likelihood": None if llf is None else float(llf),
        "coefficients": {c: [float(beta[j]), None if se is None else float(se[j])]
                         for j, c in enumerate(COLUMNS)},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
