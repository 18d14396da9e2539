from ocop import create_app

app = create_app()
