"""What an EditPlan becomes besides the MP4: subtitles (ASS/SRT), OpenTimelineIO and its
EDL/FCPXML conversions, cut lists, a contact sheet, and ``plan.json`` beside the video.
"""
