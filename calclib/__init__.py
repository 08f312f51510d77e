"""calclib: the helper package of *Multivariable Calculus for Machine Learning*.

Every chapter does ``import calclib as cl``. One small module per concept, readable in
one sitting; each public function's docstring gives its formula, its shape contract and
the section that teaches it. The layout of the whole course:

=================  ==========================================================  ========
module             what                                                        chapter
=================  ==========================================================  ========
``vectors``        norms, unit vectors, dot/angle, projection, Gram–Schmidt,   2
                   PCA
``sliders``        interactive figures that work in Jupyter and the static     all
                   book
``plotting``       the shared look: palette, plane, arrows                     all
``quiz``           "Check your understanding" blocks that answer on the page   all
``datasets``       small data sets shipped with the course                     all
``derivatives``    partials, gradient, Jacobian, Hessian, gradient check       3, 4
``optimize``       critical points, descent methods, Newton, Lagrange          4, 10, 11
``lstsq``          least squares, ridge, pseudoinverse                         5
``integrate``      double/triple integrals, Monte Carlo, change of variables   6
``fields``         divergence, curl, line and surface integrals, theorems      7–9
``nn``             a small MLP with explicit forward/backward passes           3.4, 10, 11
``probability``    log-likelihoods, Fisher information                         11.3
=================  ==========================================================  ========

Bad input (zero vector where a direction is needed, mismatched shapes, non-finite
values) raises ``ValueError``/``TypeError`` with a message that says what to do.
"""

from .datasets import bag_of_words, load_corpus, load_diabetes
from .quiz import choice, numeric, pictures, selfcheck
from .sliders import Param, slider
from .vectors import (
    angle,
    coordinates,
    cosine_similarity,
    cosine_similarity_matrix,
    dot,
    gram_matrix,
    gram_schmidt,
    norm,
    pca,
    pca_project,
    project,
    projected_variance,
    scalar_projection,
    standardize,
    unit_vector,
)
from . import datasets, derivatives, fields, integrate, lstsq, nn, optimize, plotting, probability

__version__ = "0.1.0"

__all__ = [
    "Param", "slider", "selfcheck", "numeric", "choice", "pictures", "plotting", "derivatives", "optimize", "lstsq", "integrate", "fields", "nn", "probability", "load_corpus", "bag_of_words", "load_diabetes", "datasets",
    "angle", "coordinates", "cosine_similarity", "cosine_similarity_matrix", "dot",
    "gram_matrix", "gram_schmidt", "norm", "pca", "pca_project", "project",
    "projected_variance", "scalar_projection", "standardize", "unit_vector",
]
