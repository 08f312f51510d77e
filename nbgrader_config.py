"""nbgrader configuration for the course.

Instructor master copies (solutions + hidden tests) live in ``solutions/<assignment>/``;
``nbgrader generate_assignment <assignment>`` writes the student release to
``exercises/<assignment>/``. Run nbgrader from this directory (the course root).
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

# the course root is the folder of this file (traitlets defines __file__ when loading it)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Stored notebooks carry no outputs; the release must not either.
c.ClearOutput.enabled = True
# A student's notebook must not take minutes; a cell that does is stopped.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60

c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
