"""The one learning engine every person in every study uses (mechanism M9).

People value every candidate effort vector by the utility it *would* have earned this period —
the plan's own payout function applied to their counterfactual measures, with others' actions and
the period's shocks held fixed — keep experience-weighted attractions of those values, and choose
by a logit over them. Nothing here knows which pay plan is in force: this package imports no plan
module, and what a scheme does to behaviour emerges from the pay it produces.
"""

from sim.behavior.engine import Learner, LearnerParams
from sim.behavior.utility import Preferences, inequity_penalty

__all__ = ["Learner", "LearnerParams", "Preferences", "inequity_penalty"]
