print("kangqiao")
