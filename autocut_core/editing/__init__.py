"""What decides an edit: prompts for the four tasks, the sentence-to-clip assignment, and
the timeline model of an EditPlan (where each slot lands, fitting slots to voice lines).
"""
