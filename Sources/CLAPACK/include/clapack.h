// Declarations of the Fortran LAPACK routines LLMPlan calls (reference LAPACK 3.x,
// gfortran calling convention: every argument by pointer, trailing underscore).
// Debian's liblapack-dev installs liblapack.so but no C header, so we declare them here.
#ifndef LLMPLAN_CLAPACK_H
#define LLMPLAN_CLAPACK_H

/// Solves A X = B for a general N×N matrix by LU with partial pivoting.
void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv,
            double *b, const int *ldb, int *info);

/// Solves A X = B for a tridiagonal matrix (sub-diagonal dl, diagonal d, super-diagonal du).
void dgtsv_(const int *n, const int *nrhs, double *dl, double *d, double *du,
            double *b, const int *ldb, int *info);

/// Solves A X = B for a band matrix with kl sub- and ku super-diagonals (LAPACK band storage).
void dgbsv_(const int *n, const int *kl, const int *ku, const int *nrhs, double *ab,
            const int *ldab, int *ipiv, double *b, const int *ldb, int *info);

/// Minimum-norm least squares by SVD (divide and conquer); rcond sets the effective rank.
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda,
             double *b, const int *ldb, double *s, const double *rcond, int *rank,
             double *work, const int *lwork, int *iwork, int *info);

/// Reciprocal condition number estimate (1-norm) of an LU-factored matrix.
void dgecon_(const char *norm, const int *n, const double *a, const int *lda,
             const double *anorm, double *rcond, double *work, int *iwork, int *info);

/// LU factorisation of a general M×N matrix.
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);

/// Solves with an LU factorisation from dgetrf.
void dgetrs_(const char *trans, const int *n, const int *nrhs, const double *a,
             const int *lda, const int *ipiv, double *b, const int *ldb, int *info);

#endif
