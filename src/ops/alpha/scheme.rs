//! Bilinear schemes as data, and their verification.
//!
//! A scheme of rank R for the product of an `s x s` by an `s x s` matrix
//! (here s = 2 or 4, entries being blocks) is three coefficient matrices
//! U, V, W of R rows and s*s columns: product r is
//!
//!   `M_r = (sum_ij U[r][s*i+j] A_ij) * (sum_kl V[r][s*k+l] B_kl)`
//!
//! and `C_mn = sum_r W[r][s*m+n] M_r`. It computes C = A B for every A and B
//! (over a ring where its coefficients live) exactly when the Brent
//! equations hold:
//!
//!   `sum_r U[r][ij] V[r][kl] W[r][mn] = [j = k] [i = m] [l = n]`
//!
//! for all s^6 index tuples. [`Scheme::brent_defects`] counts the
//! equations that fail, in exact rational arithmetic, or modulo a prime.
//!
//! The schemes are text files in `src/ops/alpha/schemes/`, each with its
//! provenance in its header: `#` comment lines, `rank R`, then `U`, `V`,
//! `W`, each followed by R lines of s*s coefficients (integers or `p/q`).

use std::fmt;

/// An exact rational p/q, q > 0, in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rational {
    pub num: i128,
    pub den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Rational {
    pub const ZERO: Rational = Rational { num: 0, den: 1 };

    pub fn new(num: i128, den: i128) -> Rational {
        assert!(den != 0, "zero denominator");
        let g = gcd(num, den).max(1) * den.signum();
        Rational { num: num / g, den: den / g }
    }

    pub fn int(n: i128) -> Rational {
        Rational { num: n, den: 1 }
    }

    pub fn plus(self, o: Rational) -> Rational {
        Rational::new(self.num * o.den + o.num * self.den, self.den * o.den)
    }

    pub fn times(self, o: Rational) -> Rational {
        Rational::new(self.num * o.num, self.den * o.den)
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    /// The value as a double (exact for the dyadic coefficients in use).
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    fn parse(text: &str) -> Result<Rational, String> {
        let bad = || format!("{text:?} is not an integer or p/q");
        match text.split_once('/') {
            None => Ok(Rational::int(text.parse().map_err(|_| bad())?)),
            Some((p, q)) => {
                let (p, q): (i128, i128) = (p.parse().map_err(|_| bad())?, q.parse().map_err(|_| bad())?);
                if q == 0 {
                    return Err(bad());
                }
                Ok(Rational::new(p, q))
            }
        }
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// A bilinear scheme for `side x side` block partitions.
#[derive(Clone, Debug)]
pub struct Scheme {
    pub name: &'static str,
    /// Blocks per side (2 or 4).
    pub side: usize,
    pub rank: usize,
    /// R rows of side*side coefficients each: U[r][side*i + j] multiplies A_ij.
    pub u: Vec<Vec<Rational>>,
    pub v: Vec<Vec<Rational>>,
    /// W[r][side*m + n]: the coefficient of product r in C_mn.
    pub w: Vec<Vec<Rational>>,
}

impl Scheme {
    /// Parses a scheme file (format in the module documentation).
    pub fn parse(name: &'static str, side: usize, text: &str) -> Result<Scheme, String> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        let rank: usize = lines
            .next()
            .and_then(|l| l.strip_prefix("rank "))
            .and_then(|r| r.trim().parse().ok())
            .ok_or_else(|| format!("{name}: no `rank R` line"))?;
        let mut read = |label: &str| -> Result<Vec<Vec<Rational>>, String> {
            if lines.next() != Some(label) {
                return Err(format!("{name}: expected `{label}`"));
            }
            (0..rank)
                .map(|r| {
                    let line = lines.next().ok_or_else(|| format!("{name}: {label} has fewer than {rank} rows"))?;
                    let row = line.split_whitespace().map(Rational::parse).collect::<Result<Vec<_>, _>>()?;
                    if row.len() != side * side {
                        return Err(format!("{name}: {label} row {r} has {} entries, not {}", row.len(), side * side));
                    }
                    Ok(row)
                })
                .collect()
        };
        let (u, v, w) = (read("U")?, read("V")?, read("W")?);
        if lines.next().is_some() {
            return Err(format!("{name}: text after W"));
        }
        Ok(Scheme { name, side, rank, u, v, w })
    }

    /// The number of Brent equations that fail, computed exactly over the
    /// rationals (`modulus` None) or modulo a prime (every coefficient an
    /// integer, or with a denominator prime to it). 0: the scheme is valid.
    pub fn brent_defects(&self, modulus: Option<i128>) -> usize {
        let s = self.side;
        let reduce = |x: Rational| -> Rational {
            match modulus {
                None => x,
                Some(p) => {
                    // x = num/den mod p: den's inverse by Fermat.
                    let mut inv = 1i128;
                    let (mut b, mut e) = (x.den.rem_euclid(p), p - 2);
                    while e > 0 {
                        if e & 1 == 1 {
                            inv = inv * b % p;
                        }
                        b = b * b % p;
                        e >>= 1;
                    }
                    Rational::int((x.num.rem_euclid(p) * inv).rem_euclid(p))
                }
            }
        };
        let mut defects = 0;
        for (i, j, k, l, m, n) in tuples(s) {
            let mut sum = Rational::ZERO;
            for r in 0..self.rank {
                let t = self.u[r][s * i + j].times(self.v[r][s * k + l]).times(self.w[r][s * m + n]);
                sum = reduce(sum.plus(t));
            }
            let want = Rational::int((j == k && i == m && l == n) as i128);
            if reduce(sum) != want {
                defects += 1;
            }
        }
        defects
    }

    /// Non-zero coefficients of U, V and W: the block additions of one level
    /// are (nnz(U) - R) + (nnz(V) - R) + (nnz(W) - side^2) when each
    /// combination is formed on its own.
    pub fn nonzeros(&self) -> (usize, usize, usize) {
        let count = |x: &Vec<Vec<Rational>>| x.iter().flatten().filter(|c| !c.is_zero()).count();
        (count(&self.u), count(&self.v), count(&self.w))
    }

    /// The coefficients as doubles, row by row: U (R x s^2), V, W.
    pub fn f64_rows(x: &[Vec<Rational>]) -> Vec<f64> {
        x.iter().flatten().map(|c| c.to_f64()).collect()
    }
}

fn tuples(s: usize) -> impl Iterator<Item = (usize, usize, usize, usize, usize, usize)> {
    (0..s.pow(6)).map(move |t| {
        let d = |p: u32| t / s.pow(p) % s;
        (d(5), d(4), d(3), d(2), d(1), d(0))
    })
}

/// Strassen's rank-7 scheme for 2x2 blocks.
pub const STRASSEN_7: &str = include_str!("schemes/strassen7.txt");
/// Strassen's scheme applied twice: rank 49 for 4x4 blocks.
pub const STRASSEN_SQUARED_49: &str = include_str!("schemes/strassen_squared49.txt");
/// Dumas, Pernet, Sedoglavic (2025): rank 48 for 4x4 blocks, rational.
pub const DPS_48: &str = include_str!("schemes/dps48.txt");
/// AlphaTensor's rank 47 for 4x4 blocks, modulo 2 only (a test fixture:
/// never evaluated on doubles).
pub const ALPHATENSOR_47_GF2: &str = include_str!("schemes/alphatensor47_gf2.txt");

/// The 4x4 schemes DGEMM_ALPHA may evaluate, with names for
/// `LAPACK_AI_ALPHA_SCHEME`. Each is checked against the Brent equations
/// over the rationals by the tests and again when first used.
pub fn real_schemes() -> Vec<(&'static str, &'static str)> {
    vec![("strassen49", STRASSEN_SQUARED_49), ("dps48", DPS_48)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &'static str, side: usize, text: &str) -> Scheme {
        Scheme::parse(name, side, text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn strassen_holds_over_the_integers() {
        let s = load("strassen7", 2, STRASSEN_7);
        assert_eq!(s.rank, 7);
        assert_eq!(s.brent_defects(None), 0);
    }

    #[test]
    fn strassen_squared_is_the_kronecker_square_and_holds() {
        let s2 = load("strassen7", 2, STRASSEN_7);
        let s4 = load("strassen49", 4, STRASSEN_SQUARED_49);
        assert_eq!(s4.rank, 49);
        assert_eq!(s4.brent_defects(None), 0);
        for (x2, x4) in [(&s2.u, &s4.u), (&s2.v, &s4.v), (&s2.w, &s4.w)] {
            for r1 in 0..7 {
                for r2 in 0..7 {
                    for (e, &got) in x4[7 * r1 + r2].iter().enumerate() {
                        let (i, j) = (e / 4, e % 4);
                        let outer = x2[r1][2 * (i / 2) + j / 2];
                        let inner = x2[r2][2 * (i % 2) + j % 2];
                        assert_eq!(got, outer.times(inner), "r=({r1},{r2}) entry {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn dps48_holds_over_the_rationals() {
        let s = load("dps48", 4, DPS_48);
        assert_eq!(s.rank, 48);
        assert_eq!(s.brent_defects(None), 0);
        // Characteristic 2 is excluded (its coefficients have denominators
        // 2, 4, 8); modulo 3 it holds as over the rationals.
        assert_eq!(s.brent_defects(Some(3)), 0);
    }

    #[test]
    fn alphatensor47_holds_modulo_2_only() {
        let s = load("alphatensor47_gf2", 4, ALPHATENSOR_47_GF2);
        assert_eq!(s.rank, 47);
        assert_eq!(s.brent_defects(Some(2)), 0, "the fixture is AlphaTensor's GF(2) scheme");
        let over_the_integers = s.brent_defects(None);
        assert!(over_the_integers > 0, "a rank-47 scheme over the reals would be new mathematics");
        eprintln!("AlphaTensor rank 47 over the integers: {over_the_integers} of 4096 Brent equations fail");
    }

    #[test]
    fn a_corrupted_scheme_is_rejected() {
        let mut s = load("strassen49", 4, STRASSEN_SQUARED_49);
        s.w[10][3] = s.w[10][3].plus(Rational::int(1));
        assert!(s.brent_defects(None) > 0);
        let mut s = load("dps48", 4, DPS_48);
        s.u[0][0] = s.u[0][0].plus(Rational::new(1, 8));
        assert!(s.brent_defects(None) > 0);
    }

    #[test]
    fn parse_errors_are_reported() {
        assert!(Scheme::parse("x", 2, "rank 1\nU\n1 0 0 0\nV\n1 0 0\nW\n1 0 0 0").is_err());
        assert!(Scheme::parse("x", 2, "U\n").is_err());
        assert_eq!(Rational::parse("-3/6").unwrap(), Rational::new(-1, 2));
        assert_eq!(Rational::new(1, -2), Rational { num: -1, den: 2 });
    }
}
